using PodShell.Engine.Runtime;
using Xunit;

namespace PodShell.Engine.Tests.Runtime;

/// <summary>Test-ContainerHost's version text and install line: what each program prints for --version on Debian 12.</summary>
public class HostRequirementsTests
{
    [Theory]
    [InlineData("runc version 1.1.5+ds1\ncommit: 1.1.5+ds1-1+deb12u1\nspec: 1.0.2-dev\n", "runc", "1.1.5+ds1")]
    [InlineData("crun version 1.8.1\ncommit: f8a096be060b22ccd3d5f3ebe44108517fbf6c30\n", "crun", "1.8.1")]
    [InlineData("conmon version 2.1.6\ncommit: unknown\n", "conmon", "2.1.6")]
    [InlineData("tini version 0.1.7_catatonit\n", "catatonit", "0.1.7")]
    [InlineData("failed to connect to syslog: Initialization\naardvark-dns 1.4.0\n", "aardvark-dns", "1.4.0")]
    [InlineData("iptables v1.8.9 (nf_tables)\n", "iptables", "1.8.9")]
    [InlineData("\nunknown argument ignored: lazytime\nfuse-overlayfs: version 1.10\nFUSE library version 3.14.0\n", "fuse-overlayfs", "1.10")]
    public void ParseVersion_takes_the_version_from_the_line_that_names_the_program(string output, string name, string expected) =>
        Assert.Equal(expected, HostRequirements.ParseVersion(output, name));

    [Fact]
    public void ParseVersion_is_null_for_a_usage_text() =>
        Assert.Null(HostRequirements.ParseVersion("usage: newuidmap <pid> <uid> <loweruid> <count> [ <uid> <loweruid> <count> ] ...\n", "newuidmap"));

    [Fact]
    public void InstallCommand_names_each_missing_package_once_and_nothing_when_all_are_there()
    {
        var rows = new[]
        {
            new HostRequirement { Name = "runc", Status = HostRequirementStatus.Alternative, Package = "runc" },
            new HostRequirement { Name = "newuidmap", Status = HostRequirementStatus.Missing, Package = "uidmap" },
            new HostRequirement { Name = "newgidmap", Status = HostRequirementStatus.Missing, Package = "uidmap" },
            new HostRequirement { Name = "netavark", Status = HostRequirementStatus.Missing, Package = "netavark" },
            new HostRequirement { Name = "conmon", Status = HostRequirementStatus.Found, Package = "conmon" },
        };
        Assert.Equal("apt-get install --no-install-recommends uidmap netavark", HostRequirements.InstallCommand(rows));
        Assert.Null(HostRequirements.InstallCommand(rows.Where(r => !r.IsMissing)));
    }

    [Fact]
    public void Check_lists_every_program_once_with_its_package()
    {
        var rows = HostRequirements.Check(versions: false);
        Assert.Equal(new[] { "runc", "crun", "conmon", "catatonit", "netavark", "aardvark-dns", "iptables", "newuidmap", "newgidmap", "slirp4netns", "fuse-overlayfs" },
            rows.Select(r => r.Name));
        Assert.All(rows, r => Assert.False(string.IsNullOrEmpty(r.Package)));
        Assert.All(rows.Where(r => r.Status == HostRequirementStatus.Found), r => Assert.True(File.Exists(r.Path)));
        Assert.All(rows, r => Assert.Null(r.Version));
    }
}
