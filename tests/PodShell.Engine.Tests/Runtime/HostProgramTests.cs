using PodShell.Engine.Network;
using PodShell.Engine.Runtime;

namespace PodShell.Engine.Tests.Runtime;

/// <summary>A program the engine starts that is not installed is an error naming the Debian package, raised
/// before anything is started, never the exec failure of another program (issue 14: "exec:
/// /usr/lib/podman/netavark: not found" inside NetworkSetupFailed on a fresh machine). The machine's own
/// programs are never touched: each test looks in directories it makes.</summary>
public sealed class HostProgramTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("podshell-hostprogram-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private string Dir(string name) => Directory.CreateDirectory(Path.Combine(_root, name)).FullName;

    private static string Program(string dir, string name)
    {
        var p = Path.Combine(dir, name);
        File.WriteAllText(p, "#!/bin/sh\nexit 0\n");
        if (OperatingSystem.IsLinux()) File.SetUnixFileMode(p, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        return p;
    }

    [Fact]
    public void Find_TakesTheFirstDirectoryThatHasIt_AndNothingWhereNoneHas()
    {
        string a = Dir("a"), b = Dir("b"), c = Dir("c");
        var inB = Program(b, "netavark");
        Program(c, "netavark");
        Assert.Equal(inB, HostProgram.Find("netavark", new[] { a, b, c }));
        Assert.Null(HostProgram.Find("netavark", new[] { a }));
        Assert.Null(HostProgram.Find(Path.Combine(a, "netavark")));
        Assert.Equal(inB, HostProgram.Find(inB));
    }

    [Fact]
    public void Find_SkipsALinkToNothing_AndTakesALinkToAProgram()
    {
        // Debian's /usr/bin/runc -> ../sbin/runc: with the target gone the link is not the program.
        string bin = Dir("bin"), sbin = Dir("sbin");
        File.CreateSymbolicLink(Path.Combine(bin, "runc"), "../sbin/runc");
        Assert.Null(HostProgram.Find("runc", new[] { bin }));
        Assert.Null(HostProgram.Find(Path.Combine(bin, "runc")));
        var real = Program(sbin, "runc");
        Assert.Equal(Path.Combine(bin, "runc"), HostProgram.Find("runc", new[] { bin }));
        File.Delete(real);
        Assert.Equal(sbin, Path.GetDirectoryName(Program(sbin, "runc")));
        Assert.Null(HostProgram.Find("runc", new[] { Dir("empty") }));
    }

    [Fact]
    public void Require_Absent_IsNotInstalledNamingThePackageAndWhatNeedsIt()
    {
        var e = Assert.Throws<PodShellException>(() =>
            HostProgram.Require("iptables-restore", "iptables", "IptablesNotFound", "the bridge network's firewall", new[] { Dir("empty") }));
        Assert.Equal("IptablesNotFound", e.ErrorId);
        Assert.Equal(FailureKind.NotSupported, e.Kind);
        Assert.Equal("iptables-restore", e.Target);
        Assert.Contains("apt-get install iptables", e.Message);
        Assert.Contains("the bridge network's firewall", e.Message);
    }

    [Fact]
    public void Netavark_Absent_SetupIsNetavarkNotFound_BeforeAnythingRuns()
    {
        var config = Path.Combine(_root, "networks");
        var d = new NetavarkDriver(config, binary: Path.Combine(_root, "no/netavark"), aardvark: Program(Dir("bin"), "aardvark-dns"));
        var e = Assert.Throws<PodShellException>(() => d.Setup("/run/netns/none", "{}"));
        Assert.Equal("NetavarkNotFound", e.ErrorId);
        Assert.Contains("apt-get install netavark", e.Message);
        Assert.False(Directory.Exists(config), "nothing may be set up for a netavark that is not there");
        Assert.Equal("NetavarkNotFound", Assert.Throws<PodShellException>(() => d.Teardown("/run/netns/none", "{}")).ErrorId);
    }

    [Fact]
    public void AardvarkDns_Absent_SetupIsAardvarkDnsNotFound()
    {
        var bin = Dir("bin");
        var d = new NetavarkDriver(Path.Combine(_root, "networks"), binary: Program(bin, "netavark"), aardvark: Path.Combine(bin, "aardvark-dns"))
        { ProgramDirectories = new[] { bin } };
        Program(bin, "iptables");
        var e = Assert.Throws<PodShellException>(() => d.Setup("/run/netns/none", "{}"));
        Assert.Equal("AardvarkDnsNotFound", e.ErrorId);
        Assert.Contains("apt-get install aardvark-dns", e.Message);
    }

    [Fact]
    public void Iptables_Absent_SetupIsIptablesNotFound()
    {
        var bin = Dir("bin");
        var d = new NetavarkDriver(Path.Combine(_root, "networks"), binary: Program(bin, "netavark"), aardvark: Program(bin, "aardvark-dns"))
        { ProgramDirectories = new[] { bin } };
        var e = Assert.Throws<PodShellException>(() => d.Setup("/run/netns/none", "{}"));
        Assert.Equal("IptablesNotFound", e.ErrorId);
        Assert.Contains("apt-get install iptables", e.Message);
    }

    [MachineFact(Needs.None, Programs = new[] { NetavarkDriver.DefaultBinary, NetavarkDriver.DefaultAardvark })]
    public void Netavark_DefaultLookup_FindsDebiansHelperDirectory()
    {
        // Debian's netavark and aardvark-dns packages put both programs in /usr/lib/podman, outside PATH.
        var d = new NetavarkDriver(Path.Combine(_root, "networks"));
        Assert.Equal(NetavarkDriver.DefaultBinary, d.Binary);
        Assert.Equal(NetavarkDriver.DefaultAardvark, d.Aardvark);
    }
}
