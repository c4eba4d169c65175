using PodShell.Engine.Containers;

namespace PodShell.Engine.Tests.Containers;

public sealed class NameGeneratorTests
{
    [Theory]
    [InlineData("web")]
    [InlineData("Web1")]
    [InlineData("1st")]
    [InlineData("a.b-c_d")]
    [InlineData("x")]
    public void IsValid_AcceptsPodmanNames(string name) => Assert.True(NameGenerator.IsValid(name));

    [Theory]
    [InlineData("")]
    [InlineData("-web")]
    [InlineData("_web")]
    [InlineData(".web")]
    [InlineData("my web")]
    [InlineData("a/b")]
    [InlineData("a:b")]
    [InlineData("café")]
    [InlineData("web\nother")]
    public void IsValid_RejectsOthers(string name) => Assert.False(NameGenerator.IsValid(name));

    /// <summary>.NET's "$" also matches before a final newline; Podman's Go regexp does not, so
    /// "web\n" must be rejected too (it would end up in conmon's -n and .containerenv).</summary>
    [Theory]
    [InlineData("web\n")]
    [InlineData("\nweb")]
    public void IsValid_RejectsNewlines(string name) => Assert.False(NameGenerator.IsValid(name));

    [Fact]
    public void Next_GivesValidAdjectiveNounNames()
    {
        var names = Enumerable.Range(0, 200).Select(_ => NameGenerator.Next()).ToList();
        Assert.All(names, n =>
        {
            Assert.True(NameGenerator.IsValid(n), n);
            Assert.Matches("^[a-z]+_[a-z]+$", n);
        });
        // 400 combinations: 200 draws cannot all be the same name.
        Assert.True(names.Distinct().Count() > 1);
    }
}
