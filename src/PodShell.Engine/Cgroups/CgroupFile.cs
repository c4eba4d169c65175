using System.Globalization;

namespace PodShell.Engine.Cgroups;

/// <summary>Reading and parsing single cgroupfs files.</summary>
internal static class CgroupFile
{
    /// <summary>Reads <paramref name="name"/> in <paramref name="directory"/>, records the raw text in
    /// <c>into.Files</c> and returns it trimmed; null when the file is missing or unreadable.</summary>
    public static string? Read(string directory, string name, PodShell.ContainerCgroup into)
    {
        string raw;
        try
        {
            raw = File.ReadAllText(Path.Combine(directory, name));
        }
        // Missing: controller not enabled for this cgroup (v2 subtree_control) or not mounted (v1).
        // IOException also covers files the kernel refuses to read (EOPNOTSUPP, ENODEV on a dying cgroup).
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
        into.Files[name] = raw;
        return raw.Trim();
    }

    /// <summary>A limit: "max" and negative values (v1 cfs_quota_us -1) mean unlimited.</summary>
    public static bool TryParseLimit(string? text, out long value)
    {
        value = long.MaxValue;
        if (text is null)
            return false;
        if (text == "max")
            return true;
        if (long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var n))
        {
            value = n < 0 ? long.MaxValue : n;
            return true;
        }
        // A value past long.MaxValue is unlimited in every file we read.
        if (ulong.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out _))
            return true;
        return false;
    }

    public static bool TryParseCounter(string? text, out long value)
    {
        value = 0;
        return text is not null
            && long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out value);
    }

    /// <summary>The value of <paramref name="key"/> in a flat-keyed file ("usage_usec 1234" lines).</summary>
    public static string? Field(string? text, string key)
    {
        if (text is null)
            return null;
        foreach (var line in text.Split('\n'))
        {
            var parts = line.Split(' ', 2, StringSplitOptions.TrimEntries);
            if (parts.Length == 2 && parts[0] == key)
                return parts[1];
        }
        return null;
    }

    /// <summary>Cpus as the user sees them: quota/period, +Infinity when unlimited.</summary>
    public static double Cpus(long quota, long period)
        => quota == long.MaxValue || period <= 0 ? double.PositiveInfinity : (double)quota / period;

    /// <summary>The raw text of a file, null when missing or unreadable.</summary>
    public static string? ReadRaw(string directory, string name)
    {
        try { return File.ReadAllText(Path.Combine(directory, name)).Trim(); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return null; }
    }

    /// <summary>One write(2) of <paramref name="value"/>: cgroupfs takes a value per write and answers
    /// EINVAL/EBUSY/ENOSPC for refused ones (a memory limit below what cannot be reclaimed, a quota
    /// past the parent's).</summary>
    public static void Write(string directory, string name, string value)
    {
        var path = Path.Combine(directory, name);
        try
        {
            using var fs = new FileStream(path, FileMode.Open, FileAccess.Write, FileShare.ReadWrite, 1);
            var bytes = System.Text.Encoding.ASCII.GetBytes(value);
            fs.Write(bytes, 0, bytes.Length);
            fs.Flush();
            // cgroupfs files stat as size 0 and take no truncation; a longer length is a plain file (fixtures).
            if (fs.Length > bytes.Length) fs.SetLength(bytes.Length);
        }
        catch (FileNotFoundException e)
        {
            throw new PodShellException(ErrorIds.CgroupControllerMissing, FailureKind.NotSupported,
                $"{path} does not exist: the controller is not enabled for this cgroup.", path, e);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new PodShellException(ErrorIds.CgroupWriteFailed, FailureKind.InvalidArgument,
                $"The kernel refused '{value}' for {name}: {e.Message}", path, e);
        }
    }
}
