namespace PodShell.Engine.Tests.EngineFacade;

/// <summary>Tests that change process environment variables: never run beside other tests.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class EnvironmentCollection
{
    public const string Name = "Process environment";
}

[Collection(EnvironmentCollection.Name)]
public sealed class EngineOptionsTests : IDisposable
{
    private static readonly string[] Vars = { "PODSHELL_GRAPHROOT", "PODSHELL_RUNROOT", "PODSHELL_CGROUP_PARENT" };
    private readonly Dictionary<string, string?> _saved = Vars.ToDictionary(v => v, Environment.GetEnvironmentVariable);

    public void Dispose()
    {
        foreach (var (k, v) in _saved) Environment.SetEnvironmentVariable(k, v);
    }

    private static void Set(string? graph, string? run, string? parent)
    {
        Environment.SetEnvironmentVariable("PODSHELL_GRAPHROOT", graph);
        Environment.SetEnvironmentVariable("PODSHELL_RUNROOT", run);
        Environment.SetEnvironmentVariable("PODSHELL_CGROUP_PARENT", parent);
    }

    [MachineFact(Needs.Root)]
    public void Unset_GivesTheDefaults()
    {
        Set(null, null, null);
        var o = EngineOptions.FromEnvironment();
        Assert.Equal(new EngineOptions("/var/lib/podshell", "/run/podshell", "podshell"), o);
    }

    [MachineFact(Needs.Root)]
    public void BlankValues_GiveTheDefaults()
    {
        Set("", "   ", "\t");
        Assert.Equal(new EngineOptions(EngineOptions.DefaultGraphRoot, EngineOptions.DefaultRunRoot, EngineOptions.DefaultCgroupParent),
            EngineOptions.FromEnvironment());
    }

    [Fact]
    public void Set_OverridesEachRoot()
    {
        Set("/tmp/ps-graph", "/tmp/ps-run", "podshell-test");
        var o = EngineOptions.FromEnvironment();
        Assert.Equal("/tmp/ps-graph", o.GraphRoot);
        Assert.Equal("/tmp/ps-run", o.RunRoot);
        Assert.Equal("podshell-test", o.CgroupParent);
    }

    [Fact]
    public void Paths_AreMadeAbsolute_AndTheCgroupParentLosesItsSlashes()
    {
        Set("rel/graph", "/tmp/a/../run", "/machine/podshell/");
        var o = EngineOptions.FromEnvironment();
        Assert.Equal(Path.Combine(Environment.CurrentDirectory, "rel/graph"), o.GraphRoot);
        Assert.Equal("/tmp/run", o.RunRoot);
        Assert.Equal("machine/podshell", o.CgroupParent);
    }

    [Fact]
    public void EqualOptions_AreEqualKeys()
    {
        // ContainerEngine.Get caches one engine per options value.
        Assert.Equal(new EngineOptions("/g", "/r", "p"), new EngineOptions("/g", "/r", "p"));
        Assert.NotEqual(new EngineOptions("/g", "/r", "p"), new EngineOptions("/g", "/r", "q"));
    }
}
