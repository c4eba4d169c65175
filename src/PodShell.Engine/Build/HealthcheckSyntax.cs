using System.Globalization;
using System.Text.RegularExpressions;

namespace PodShell.Engine.Build;

/// <summary>HEALTHCHECK's arguments: <c>NONE</c>, or options then <c>CMD</c> and a command in either form.
/// Durations are Go's (<c>30s</c>, <c>1m30s</c>, <c>500ms</c>) because that is what Docker and podman parse
/// and what users copy from their documentation.</summary>
internal static partial class HealthcheckSyntax
{
    public static HealthcheckInstruction Parse(string args, IReadOnlyList<InstructionFlag> flags, InstructionContext ctx)
    {
        var t = args.Trim();
        int sp = 0;
        while (sp < t.Length && !char.IsWhiteSpace(t[sp])) sp++;
        var kind = t[..sp].ToUpperInvariant();
        var rest = t[sp..].Trim();
        if (kind == "NONE")
        {
            if (rest.Length > 0 || flags.Count > 0)
                throw ContainerfileErrors.Syntax(ctx.File, ctx.Line, "HEALTHCHECK NONE takes no other arguments");
            return new HealthcheckInstruction(null, null, null, null, null, null);
        }
        if (kind != "CMD")
            throw ContainerfileErrors.Syntax(ctx.File, ctx.Line, "HEALTHCHECK takes NONE or [options] CMD command");
        var command = InstructionParser.Command("HEALTHCHECK CMD", rest, ctx, allowEmptyExec: false);
        int? retries = null;
        var retriesText = Value(flags, "retries");
        if (retriesText != null)
        {
            if (!int.TryParse(retriesText, NumberStyles.None, CultureInfo.InvariantCulture, out var r) || r < 1)
                throw ContainerfileErrors.Syntax(ctx.File, ctx.Line, $"HEALTHCHECK --retries must be a whole number of at least 1, not '{retriesText}'");
            retries = r;
        }
        return new HealthcheckInstruction(command,
            Duration(flags, "interval", ctx), Duration(flags, "timeout", ctx),
            Duration(flags, "start-period", ctx), Duration(flags, "start-interval", ctx), retries);
    }

    private static string? Value(IReadOnlyList<InstructionFlag> flags, string name) =>
        flags.LastOrDefault(f => f.Name == name)?.Value;

    [GeneratedRegex(@"(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)")]
    private static partial Regex DurationPart();

    private static TimeSpan? Duration(IReadOnlyList<InstructionFlag> flags, string name, InstructionContext ctx)
    {
        var text = Value(flags, name);
        if (text == null) return null;
        if (!TryParseGoDuration(text, out var d, out var exact))
            throw ContainerfileErrors.Syntax(ctx.File, ctx.Line, $"HEALTHCHECK --{name}: '{text}' is not a duration such as 30s, 1m30s or 500ms");
        // Docker's rule: zero means "the default", anything else must be at least a millisecond.
        if (exact > 0 && exact < TimeSpan.TicksPerMillisecond)
            throw ContainerfileErrors.Syntax(ctx.File, ctx.Line, $"HEALTHCHECK --{name} must be 0 or at least 1ms");
        return d;
    }

    /// <summary>Go's time.ParseDuration for non-negative values: "0", or number+unit parts.</summary>
    public static bool TryParseGoDuration(string text, out TimeSpan value) => TryParseGoDuration(text, out value, out _);

    /// <summary><paramref name="ticks"/> before rounding, so "1ns" is not mistaken for "0".</summary>
    private static bool TryParseGoDuration(string text, out TimeSpan value, out double ticks)
    {
        value = TimeSpan.Zero;
        ticks = 0;
        if (text == "0") return true;
        int pos = 0;
        foreach (Match m in DurationPart().Matches(text))
        {
            if (m.Index != pos) return false;
            pos += m.Length;
            var n = double.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture);
            ticks += n * m.Groups[2].Value switch
            {
                "ns" => 0.01,
                "us" or "µs" => 10,
                "ms" => TimeSpan.TicksPerMillisecond,
                "s" => TimeSpan.TicksPerSecond,
                "m" => TimeSpan.TicksPerMinute,
                _ => TimeSpan.TicksPerHour,
            };
        }
        if (pos == 0 || pos != text.Length) return false;
        value = TimeSpan.FromTicks((long)Math.Round(ticks));
        return true;
    }
}
