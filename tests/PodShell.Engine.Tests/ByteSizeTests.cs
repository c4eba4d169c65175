using PodShell.Engine;

namespace PodShell.Engine.Tests;

public class ByteSizeTests
{
    [Theory]
    [InlineData("134217728", 134217728L)]
    [InlineData("128m", 134217728L)]
    [InlineData("128M", 134217728L)]
    [InlineData("128MB", 134217728L)]
    [InlineData("128MiB", 134217728L)]
    [InlineData("128mib", 134217728L)]
    [InlineData("128 MiB", 134217728L)]
    [InlineData(" 128m ", 134217728L)]
    [InlineData("1.5g", 1610612736L)]
    [InlineData("1.5GB", 1610612736L)]
    [InlineData("512k", 524288L)]
    [InlineData("512KiB", 524288L)]
    [InlineData("1t", 1099511627776L)]
    [InlineData("64b", 64L)]
    [InlineData("64B", 64L)]
    [InlineData("1", 1L)]
    [InlineData("1.3k", 1331L)] // 1331.2: fractions of a byte are dropped, like go-units
    [InlineData("8191p", 9222246136947933184L)]
    public void Parse_accepts_podman_forms(string text, long expected)
    {
        Assert.Equal(expected, ByteSize.Parse(text));
        Assert.True(ByteSize.TryParse(text, out var bytes));
        Assert.Equal(expected, bytes);
    }

    [Theory]
    [InlineData("12x")]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("-5m")]
    [InlineData("+5m")]
    [InlineData("lots")]
    [InlineData("0")]
    [InlineData("0m")]
    [InlineData("0.0001b")]
    [InlineData("1.")]
    [InlineData(".5g")]
    [InlineData("1e6")]
    [InlineData("1,5g")]
    [InlineData("5 m b")]
    [InlineData("128mibb")]
    [InlineData("9223372036854775808")] // long.MaxValue + 1
    [InlineData("8192p")]
    [InlineData("99999999999999999999999999999999999999t")]
    public void Parse_rejects_with_InvalidByteSize(string text)
    {
        Assert.False(ByteSize.TryParse(text, out var bytes));
        Assert.Equal(0, bytes);
        var ex = Assert.Throws<PodShellException>(() => ByteSize.Parse(text));
        Assert.Equal("InvalidByteSize", ex.ErrorId);
        Assert.Equal(FailureKind.InvalidArgument, ex.Kind);
        Assert.Equal(text, ex.Target);
        Assert.Contains($"'{text}'", ex.Message);
        Assert.Contains("128MiB", ex.Message); // names the accepted forms
    }

    [Fact]
    public void Parse_accepts_long_max()
    {
        Assert.Equal(long.MaxValue, ByteSize.Parse("9223372036854775807"));
    }

    [Theory]
    [InlineData(134217728L, "128MiB")]
    [InlineData(1610612736L, "1.5GiB")]
    [InlineData(long.MaxValue, "max")]
    [InlineData(0L, "0B")]
    [InlineData(1000L, "1000B")]
    [InlineData(1024L, "1KiB")]
    [InlineData(1536L, "1.5KiB")]
    [InlineData(1048575L, "1MiB")] // 1023.999KiB must not print as "1024KiB"
    [InlineData(1099511627776L, "1TiB")]
    [InlineData(-2048L, "-2KiB")]
    public void Format_uses_binary_units(long bytes, string expected)
    {
        Assert.Equal(expected, ByteSize.Format(bytes));
    }

    [Theory]
    [InlineData("128MiB")]
    [InlineData("1.5GiB")]
    [InlineData("64b")]
    public void Format_output_parses_back(string text)
    {
        var bytes = ByteSize.Parse(text);
        Assert.Equal(bytes, ByteSize.Parse(ByteSize.Format(bytes)));
    }
}
