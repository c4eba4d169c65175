using System.Formats.Tar;

namespace PodShell.Engine.Layers;

/// <summary>One tar member as <see cref="TarRecordReader"/> reads it and <see cref="TarRecordWriter"/> writes it.
/// Names and link targets are the member's bytes decoded with <see cref="IO.FileName"/> (reversible), not
/// System.Formats.Tar's lossy UTF-8; xattr values are the raw bytes of the PAX record.</summary>
internal sealed class TarRecord
{
    public TarEntryType Type { get; set; }
    public string Name { get; set; } = "";
    public string LinkName { get; set; } = "";
    public int Mode { get; set; }
    public int Uid { get; set; }
    public int Gid { get; set; }
    public long Size { get; set; }
    public DateTimeOffset ModificationTime { get; set; } = DateTimeOffset.UnixEpoch;
    public int DeviceMajor { get; set; }
    public int DeviceMinor { get; set; }
    /// <summary>SCHILY.xattr.&lt;name&gt; records: attribute name -> raw value.</summary>
    public Dictionary<string, byte[]> Xattrs { get; } = new(StringComparer.Ordinal);
    /// <summary>The member's data (Size bytes) while reading; what to write for a regular file.</summary>
    public Stream? DataStream { get; set; }

    public bool HasData => Type is TarEntryType.RegularFile or TarEntryType.V7RegularFile or TarEntryType.ContiguousFile;
}
