namespace PodShell.Engine.Images.Registry;

/// <summary>A WWW-Authenticate challenge: scheme and its parameters (RFC 7235 auth-params; realm,
/// service and scope for the distribution token flow).</summary>
public sealed record AuthChallenge(string Scheme, IReadOnlyDictionary<string, string> Parameters)
{
    public string? Realm => Parameters.TryGetValue("realm", out var v) ? v : null;
    public string? Service => Parameters.TryGetValue("service", out var v) ? v : null;
    public string? Scope => Parameters.TryGetValue("scope", out var v) ? v : null;
    public bool IsBearer => Scheme.Equals("Bearer", StringComparison.OrdinalIgnoreCase);
    public bool IsBasic => Scheme.Equals("Basic", StringComparison.OrdinalIgnoreCase);

    /// <summary>Parse one header value such as <c>Bearer realm="https://a/token",service="reg",scope="repository:x:pull"</c>.
    /// Quoted values may hold commas (scope lists "pull,push"). Null when the value has no scheme.</summary>
    public static AuthChallenge? Parse(string? header)
    {
        if (string.IsNullOrWhiteSpace(header)) return null;
        header = header.Trim();
        int sp = header.IndexOf(' ');
        var scheme = sp < 0 ? header : header[..sp];
        var ps = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        int i = sp < 0 ? header.Length : sp + 1;
        while (i < header.Length)
        {
            while (i < header.Length && (header[i] == ',' || header[i] == ' ')) i++;
            int eq = header.IndexOf('=', i);
            if (eq < 0) break;
            var key = header[i..eq].Trim();
            i = eq + 1;
            string value;
            if (i < header.Length && header[i] == '"')
            {
                var sb = new System.Text.StringBuilder();
                i++;
                while (i < header.Length && header[i] != '"')
                {
                    if (header[i] == '\\' && i + 1 < header.Length) i++;
                    sb.Append(header[i++]);
                }
                i++;
                value = sb.ToString();
            }
            else
            {
                int end = header.IndexOf(',', i);
                if (end < 0) end = header.Length;
                value = header[i..end].Trim();
                i = end;
            }
            if (key.Length > 0) ps[key] = value;
        }
        return new AuthChallenge(scheme, ps);
    }
}
