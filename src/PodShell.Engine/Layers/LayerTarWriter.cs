using System.Formats.Tar;
using PodShell.Engine.Linux;

namespace PodShell.Engine.Layers;

/// <summary>Streams a directory tree as a layer tar: owners, modes, mtimes, symlinks, hard links (by inode),
/// devices and fifos, names in ordinal order so the same tree gives the same bytes.</summary>
internal static class LayerTarWriter
{
    public static void Write(string directory, Stream output, CancellationToken ct, OwnerMap? owners = null)
    {
        owners ??= OwnerMap.Identity;
        string root = Path.GetFullPath(directory).TrimEnd('/');
        if (FileStatus.TryLStat(root) is not { IsDirectory: true })
            throw new PodShellException("DirectoryNotFound", FailureKind.NotFound, $"'{directory}' is not a directory.", directory);
        var seenInodes = new Dictionary<(uint, uint, ulong), string>();
        using var writer = new TarWriter(output, TarEntryFormat.Pax, leaveOpen: true);
        WriteChildren(writer, root, "", seenInodes, owners, ct);
    }

    private static void WriteChildren(TarWriter writer, string dir, string prefix,
        Dictionary<(uint, uint, ulong), string> seenInodes, OwnerMap owners, CancellationToken ct)
    {
        var names = new DirectoryInfo(dir).EnumerateFileSystemInfos().Select(i => i.Name).ToList();
        names.Sort(StringComparer.Ordinal);
        foreach (string name in names)
        {
            ct.ThrowIfCancellationRequested();
            string path = dir + "/" + name;
            string entryName = prefix + name;
            if (FileStatus.TryLStat(path) is not { } st) continue;

            PaxTarEntry entry;
            if (st.IsDirectory)
                entry = new PaxTarEntry(TarEntryType.Directory, entryName + "/");
            else if (st.IsSymlink)
                entry = new PaxTarEntry(TarEntryType.SymbolicLink, entryName) { LinkName = new FileInfo(path).LinkTarget ?? "" };
            else if (st.IsRegularFile && st.LinkCount > 1 && seenInodes.TryGetValue((st.DevMajor, st.DevMinor, st.Inode), out var first))
                entry = new PaxTarEntry(TarEntryType.HardLink, entryName) { LinkName = first };
            else if (st.IsRegularFile)
            {
                if (st.LinkCount > 1) seenInodes[(st.DevMajor, st.DevMinor, st.Inode)] = entryName;
                entry = new PaxTarEntry(TarEntryType.RegularFile, entryName);
            }
            else if (st.IsCharDevice || st.IsBlockDevice)
                entry = new PaxTarEntry(st.IsCharDevice ? TarEntryType.CharacterDevice : TarEntryType.BlockDevice, entryName)
                    { DeviceMajor = (int)st.RdevMajor, DeviceMinor = (int)st.RdevMinor };
            else if (st.IsFifo)
                entry = new PaxTarEntry(TarEntryType.Fifo, entryName);
            else
                continue; // sockets have no tar representation

            entry.Uid = owners.Uid(st.Uid);
            entry.Gid = owners.Gid(st.Gid);
            entry.Mode = (UnixFileMode)st.Permissions;
            entry.ModificationTime = st.ModificationTime;

            if (entry.EntryType == TarEntryType.RegularFile)
            {
                using var data = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read);
                entry.DataStream = data;
                writer.WriteEntry(entry);
            }
            else writer.WriteEntry(entry);

            if (st.IsDirectory) WriteChildren(writer, path, entryName + "/", seenInodes, owners, ct);
        }
    }
}
