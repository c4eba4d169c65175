using System.Formats.Tar;
using PodShell.Engine.Layers;
using PodShell.Engine.Linux;

namespace PodShell.Engine.Images.Archive;

/// <summary>Writes a layer's diff directory as an OCI layer tar, deterministically: entries in ordinal
/// order, owners, modes, mtimes, symlinks, hard links (by inode), devices and fifos kept; overlay
/// whiteouts converted back to OCI ones as containers/storage ConvertWrite does (a char device 0/0 becomes
/// an empty mode-0 file .wh.&lt;name&gt;, an opaque directory gets a .wh..wh..opq member). The same directory
/// gives the same bytes, so the digest of a generated layer is stable across exports.</summary>
public static class DiffTarWriter
{

    public static void Write(string diffDir, Stream output, CancellationToken ct = default, Layers.OwnerMap? owners = null)
    {
        owners ??= Layers.OwnerMap.Identity;
        string root = Path.GetFullPath(diffDir).TrimEnd('/');
        if (FileStatus.TryLStat(root) is not { IsDirectory: true })
            throw new PodShellException(ErrorIds.DirectoryNotFound, FailureKind.NotFound, $"'{diffDir}' is not a directory.", diffDir);
        var seen = new Dictionary<(uint, uint, ulong), string>();
        // The tree may be a running container's (export, commit): it is walked by descriptor, each name opened
        // relative to its directory with O_NOFOLLOW, so a directory swapped for a symlink mid-walk is written as
        // the link it has become (or skipped), never followed to the host (issue 15).
        using var top = DirectoryHandle.Open(root);
        using (var writer = new TarRecordWriter(output))
            WriteChildren(writer, top, "", seen, owners, ct);
    }

    private static void WriteChildren(TarRecordWriter writer, DirectoryHandle dir, string prefix, Dictionary<(uint, uint, ulong), string> seen, Layers.OwnerMap owners, CancellationToken ct)
    {
        foreach (var name in dir.Names())
        {
            ct.ThrowIfCancellationRequested();
            string entryName = prefix + name;
            if (dir.StatAt(name) is not { } st) continue;

            TarRecord entry;
            if (st.IsCharDevice && st.RdevMajor == 0 && st.RdevMinor == 0)
            {
                entry = new TarRecord { Type = TarEntryType.RegularFile, Name = prefix + ".wh." + name, Mode = 0 };
                Stamp(entry, st, withMode: false, owners);
                writer.Write(entry);
                continue;
            }
            if (st.IsDirectory)
            {
                DirectoryHandle sub;
                try { sub = dir.OpenDirectoryAt(name); }
                catch (IOException e) when (DirectoryHandle.ChangedMeanwhile(e)) { continue; } // replaced (by a link or a file) or removed since the stat
                using (sub)
                {
                    st = sub.Status();
                    entry = new TarRecord { Type = TarEntryType.Directory, Name = entryName + "/" };
                    Stamp(entry, st, withMode: true, owners);
                    writer.Write(entry);
                    if (Overlay.OverlayXattr.IsOpaque(sub))
                    {
                        var opq = new TarRecord { Type = TarEntryType.RegularFile, Name = entryName + "/.wh..wh..opq" };
                        Stamp(opq, st, withMode: false, owners);
                        opq.Mode = 0;
                        writer.Write(opq);
                    }
                    WriteChildren(writer, sub, entryName + "/", seen, owners, ct);
                }
                continue;
            }
            if (st.IsRegularFile)
            {
                FileStream data;
                try { data = dir.OpenReadAt(name, out st); }
                catch (IOException e) when (DirectoryHandle.ChangedMeanwhile(e)) { continue; } // replaced or removed since the stat
                using (data)
                {
                    if (st.LinkCount > 1 && seen.TryGetValue((st.DevMajor, st.DevMinor, st.Inode), out var first))
                    {
                        entry = new TarRecord { Type = TarEntryType.HardLink, Name = entryName, LinkName = first };
                        Stamp(entry, st, withMode: true, owners);
                        writer.Write(entry);
                        continue;
                    }
                    if (st.LinkCount > 1) seen[(st.DevMajor, st.DevMinor, st.Inode)] = entryName;
                    entry = new TarRecord { Type = TarEntryType.RegularFile, Name = entryName };
                    Stamp(entry, st, withMode: true, owners);
                    entry.DataStream = data;
                    entry.Size = st.Size;
                    writer.Write(entry);
                }
                continue;
            }
            if (st.IsSymlink)
            {
                string link;
                try { link = dir.ReadLinkAt(name); }
                catch (IOException e) when (DirectoryHandle.ChangedMeanwhile(e)) { continue; }
                entry = new TarRecord { Type = TarEntryType.SymbolicLink, Name = entryName, LinkName = link };
            }
            else if (st.IsCharDevice || st.IsBlockDevice)
                entry = new TarRecord { Type = st.IsCharDevice ? TarEntryType.CharacterDevice : TarEntryType.BlockDevice, Name = entryName, DeviceMajor = (int)st.RdevMajor, DeviceMinor = (int)st.RdevMinor };
            else if (st.IsFifo) entry = new TarRecord { Type = TarEntryType.Fifo, Name = entryName };
            else continue; // sockets have no tar form

            Stamp(entry, st, withMode: true, owners);
            writer.Write(entry);
        }
    }

    private static void Stamp(TarRecord entry, FileStatusInfo st, bool withMode, Layers.OwnerMap owners)
    {
        entry.Uid = owners.Uid((int)st.Uid);
        entry.Gid = owners.Gid((int)st.Gid);
        if (withMode) entry.Mode = st.Permissions;
        entry.ModificationTime = st.ModificationTime;
    }
}
