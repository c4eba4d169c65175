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
            throw new PodShellException(ErrorIds.DirectoryNotFound, FailureKind.NotFound, $"'{directory}' is not a directory.", directory);
        var seenInodes = new Dictionary<(uint, uint, ulong), string>();
        using var writer = new TarRecordWriter(output);
        WriteChildren(writer, root, "", seenInodes, owners, ct);
    }

    private static void WriteChildren(TarRecordWriter writer, string dir, string prefix,
        Dictionary<(uint, uint, ulong), string> seenInodes, OwnerMap owners, CancellationToken ct)
    {
        var names = RawFiles.ReadDirectory(dir); // bytes: names that are not UTF-8 too
        names.Sort(StringComparer.Ordinal);
        foreach (string name in names)
        {
            ct.ThrowIfCancellationRequested();
            string path = dir + "/" + name;
            string entryName = prefix + name;
            if (FileStatus.TryLStat(path) is not { } st) continue;

            TarRecord entry;
            if (st.IsDirectory)
                entry = new TarRecord { Type = TarEntryType.Directory, Name = entryName + "/" };
            else if (st.IsSymlink)
                entry = new TarRecord { Type = TarEntryType.SymbolicLink, Name = entryName, LinkName = RawFiles.ReadLink(path) ?? "" };
            else if (st.IsRegularFile && st.LinkCount > 1 && seenInodes.TryGetValue((st.DevMajor, st.DevMinor, st.Inode), out var first))
                entry = new TarRecord { Type = TarEntryType.HardLink, Name = entryName, LinkName = first };
            else if (st.IsRegularFile)
            {
                if (st.LinkCount > 1) seenInodes[(st.DevMajor, st.DevMinor, st.Inode)] = entryName;
                entry = new TarRecord { Type = TarEntryType.RegularFile, Name = entryName };
            }
            else if (st.IsCharDevice || st.IsBlockDevice)
                entry = new TarRecord { Type = st.IsCharDevice ? TarEntryType.CharacterDevice : TarEntryType.BlockDevice, Name = entryName,
                    DeviceMajor = (int)st.RdevMajor, DeviceMinor = (int)st.RdevMinor };
            else if (st.IsFifo)
                entry = new TarRecord { Type = TarEntryType.Fifo, Name = entryName };
            else
                continue; // sockets have no tar representation

            entry.Uid = owners.Uid(st.Uid);
            entry.Gid = owners.Gid(st.Gid);
            entry.Mode = st.Permissions;
            entry.ModificationTime = st.ModificationTime;

            if (entry.Type == TarEntryType.RegularFile)
            {
                using var data = RawFiles.OpenRead(path);
                entry.DataStream = data;
                entry.Size = st.Size;
                writer.Write(entry);
            }
            else writer.Write(entry);

            if (st.IsDirectory) WriteChildren(writer, path, entryName + "/", seenInodes, owners, ct);
        }
    }
}
