using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace PodShell.Engine.Images.Registry;

/// <summary>One registry's OCI distribution API over HttpClient, synchronously on the calling thread (so
/// progress callbacks run there, where PowerShell allows WriteProgress). Handles the /v2/ ping, the
/// scheme choice, anonymous, Basic and Bearer token auth (distribution spec auth/token.md), and maps
/// failures to stable error ids.</summary>
public sealed class RegistryClient : IDisposable
{
    private readonly HttpClient _http;
    private readonly string _host;
    private readonly bool _plainHttpAllowed;
    private readonly RegistryCredentials? _credentials;
    private Uri? _base;
    private AuthChallenge? _bearer;
    private bool _basic;
    private readonly Dictionary<string, string> _tokens = new(StringComparer.Ordinal);

    /// <param name="apiHost">host[:port] of the API.</param>
    /// <param name="plainHttpAllowed">Fall back to plain HTTP when HTTPS fails: for loopback registries, as
    /// Docker does, or when the user asked for an insecure registry.</param>
    /// <param name="credentials">User and password for Basic auth or the token server; null for anonymous.</param>
    /// <param name="skipTlsVerify">Accept any server certificate (the user's -AllowInsecure).</param>
    public RegistryClient(string apiHost, RegistryCredentials? credentials, bool plainHttpAllowed, bool skipTlsVerify = false)
    {
        _host = apiHost;
        _credentials = credentials;
        _plainHttpAllowed = plainHttpAllowed;
        var handler = new SocketsHttpHandler
        {
            AllowAutoRedirect = true,
            ConnectTimeout = TimeSpan.FromSeconds(30),
            AutomaticDecompression = DecompressionMethods.None,
        };
        if (skipTlsVerify) handler.SslOptions.RemoteCertificateValidationCallback = (_, _, _, _) => true;
        // Headers only: blob bodies are streamed, and a big upload may legitimately take long.
        _http = new HttpClient(handler) { Timeout = TimeSpan.FromMinutes(30) };
        _http.DefaultRequestHeaders.UserAgent.ParseAdd("PodShell/0.1");
    }

    public static RegistryClient For(RegistryReference r, RegistryCredentials? credentials, bool allowInsecure) =>
        new(r.ApiHost, credentials, plainHttpAllowed: allowInsecure || r.IsLoopback, skipTlsVerify: allowInsecure);

    /// <summary>The URL the API answered on, after <see cref="Ping"/>.</summary>
    public Uri? BaseUri => _base;

    /// <summary>GET /v2/: picks HTTPS, or HTTP when HTTPS fails and plain HTTP is allowed, and learns the
    /// auth scheme from a 401.</summary>
    public void Ping(CancellationToken ct)
    {
        if (_base is not null) return;
        Exception? httpsFailure = null;
        foreach (var scheme in _plainHttpAllowed ? new[] { "https", "http" } : new[] { "https" })
        {
            var b = new Uri($"{scheme}://{_host}/");
            HttpResponseMessage resp;
            try
            {
                resp = _http.Send(new HttpRequestMessage(HttpMethod.Get, new Uri(b, "v2/")), HttpCompletionOption.ResponseHeadersRead, ct);
            }
            catch (Exception e) when (IsTransportFailure(e, ct))
            {
                httpsFailure ??= e;
                continue;
            }
            using (resp)
            {
                if (resp.StatusCode == HttpStatusCode.Unauthorized)
                    Learn(resp);
                else if (!resp.IsSuccessStatusCode)
                    throw new PodShellException(ErrorIds.RegistryUnreachable, FailureKind.RuntimeFailed,
                        $"{b} does not answer as an OCI registry: GET /v2/ returned {(int)resp.StatusCode} {resp.ReasonPhrase}.", _host);
            }
            _base = b;
            return;
        }
        var hint = _plainHttpAllowed ? "" : " If it serves plain HTTP, use -AllowInsecure.";
        throw new PodShellException(ErrorIds.RegistryUnreachable, FailureKind.RuntimeFailed,
            $"Cannot reach the registry {_host}: {httpsFailure?.GetBaseException().Message}.{hint}", _host, httpsFailure);
    }

    private static bool IsTransportFailure(Exception e, CancellationToken ct) =>
        e is HttpRequestException || (e is TaskCanceledException && !ct.IsCancellationRequested);

    private void Learn(HttpResponseMessage resp)
    {
        foreach (var h in resp.Headers.WwwAuthenticate)
        {
            var c = AuthChallenge.Parse(h.ToString());
            if (c is null) continue;
            if (c.IsBearer && c.Realm is not null) { _bearer = c; return; }
            if (c.IsBasic) { _basic = true; return; }
        }
    }

    /// <summary>Fetch a manifest or index by tag or digest, with the full Accept list. Returns the bytes
    /// exactly as served, the media type and the Docker-Content-Digest header, if any.</summary>
    public (byte[] Bytes, string? MediaType, string? ContentDigest) GetManifest(string repository, string reference, CancellationToken ct)
    {
        using var resp = Send(() =>
        {
            var req = new HttpRequestMessage(HttpMethod.Get, Url($"v2/{repository}/manifests/{reference}"));
            foreach (var a in ManifestMediaTypes.Accept) req.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue(a));
            return req;
        }, PullScope(repository), ct);
        Check(resp, $"{repository}:{reference}", "manifest");
        var bytes = ReadBody(resp, 8 << 20, ct);
        var digest = resp.Headers.TryGetValues("Docker-Content-Digest", out var v) ? v.FirstOrDefault() : null;
        return (bytes, resp.Content.Headers.ContentType?.MediaType, digest);
    }

    /// <summary>Stream a blob straight into <paramref name="store"/>, which verifies it against
    /// <paramref name="digest"/> ("DigestMismatch") before it becomes visible.</summary>
    public string GetBlob(string repository, string digest, BlobStore store, Action<long>? progress, CancellationToken ct)
    {
        using var resp = Send(() => new HttpRequestMessage(HttpMethod.Get, Url($"v2/{repository}/blobs/{digest}")), PullScope(repository), ct);
        Check(resp, $"{repository}@{digest}", "blob");
        // A blocked socket read does not watch the token: disposing the response ends it at once.
        using var stop = ct.Register(() => resp.Dispose());
        try
        {
            using var body = new ProgressStream(resp.Content.ReadAsStream(ct), progress);
            return store.Put(body, digest, ct);
        }
        catch (Exception e) when (ct.IsCancellationRequested && e is IOException or ObjectDisposedException or HttpRequestException)
        {
            throw new OperationCanceledException(ct);
        }
        catch (Exception e) when (e is IOException or HttpRequestException && e is not PodShellException)
        {
            throw new PodShellException(ErrorIds.RegistryUnreachable, FailureKind.RuntimeFailed,
                $"The connection to {_host} broke while reading blob {digest}: {e.Message}", digest, e);
        }
    }

    /// <summary>HEAD /v2/&lt;name&gt;/blobs/&lt;digest&gt;: whether the registry already has the blob.</summary>
    public bool HasBlob(string repository, string digest, CancellationToken ct)
    {
        using var resp = Send(() => new HttpRequestMessage(HttpMethod.Head, Url($"v2/{repository}/blobs/{digest}")), PushScope(repository), ct);
        if (resp.StatusCode == HttpStatusCode.NotFound) return false;
        Check(resp, $"{repository}@{digest}", "blob");
        return true;
    }

    /// <summary>Monolithic upload: POST /v2/&lt;name&gt;/blobs/uploads/, then PUT &lt;location&gt;?digest=.
    /// <paramref name="open"/> is called once per attempt (an auth retry needs the body again).</summary>
    public void PutBlob(string repository, string digest, long size, Func<Stream> open, Action<long>? progress, CancellationToken ct)
    {
        Uri location;
        using (var start = Send(() => new HttpRequestMessage(HttpMethod.Post, Url($"v2/{repository}/blobs/uploads/"))
               { Content = new ByteArrayContent(Array.Empty<byte>()) }, PushScope(repository), ct))
        {
            Check(start, repository, "upload");
            var loc = start.Headers.Location ?? throw new PodShellException(ErrorIds.RegistryRequestFailed, FailureKind.RuntimeFailed,
                $"{_host} started an upload without a Location header.", repository);
            location = loc.IsAbsoluteUri ? loc : new Uri(_base!, loc);
        }
        var sep = string.IsNullOrEmpty(location.Query) ? "?" : "&";
        var put = new Uri(location + sep + "digest=" + Uri.EscapeDataString(digest));
        using var resp = Send(() =>
        {
            var content = new StreamContent(new ProgressStream(open(), progress), 1 << 16);
            content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
            content.Headers.ContentLength = size;
            return new HttpRequestMessage(HttpMethod.Put, put) { Content = content };
        }, PushScope(repository), ct);
        Check(resp, $"{repository}@{digest}", "upload");
    }

    /// <summary>PUT /v2/&lt;name&gt;/manifests/&lt;tag&gt;; returns the digest the registry reports (or our own).</summary>
    public string PutManifest(string repository, string tag, byte[] manifest, string mediaType, CancellationToken ct)
    {
        using var resp = Send(() =>
        {
            var content = new ByteArrayContent(manifest);
            content.Headers.ContentType = new MediaTypeHeaderValue(mediaType);
            return new HttpRequestMessage(HttpMethod.Put, Url($"v2/{repository}/manifests/{tag}")) { Content = content };
        }, PushScope(repository), ct);
        Check(resp, $"{repository}:{tag}", "manifest");
        return resp.Headers.TryGetValues("Docker-Content-Digest", out var v) ? v.First() : BlobStore.Digest(manifest);
    }

    private static string PullScope(string repository) => $"repository:{repository}:pull";
    private static string PushScope(string repository) => $"repository:{repository}:pull,push";

    private Uri Url(string relative) => new(_base!, relative);

    /// <summary>Send with the auth learned so far; on 401 learn the challenge (get a token for the scope
    /// it names), retry once, and give up with RegistryAuthenticationFailed if the retry is refused too.</summary>
    private HttpResponseMessage Send(Func<HttpRequestMessage> make, string scope, CancellationToken ct)
    {
        Ping(ct);
        var resp = SendOnce(make, scope, ct);
        if (resp.StatusCode != HttpStatusCode.Unauthorized) return resp;
        var hadAuth = (_bearer is not null && _tokens.ContainsKey(scope)) || (_basic && _credentials is not null);
        var challenge = resp.Headers.WwwAuthenticate.Select(h => AuthChallenge.Parse(h.ToString())).FirstOrDefault(c => c is not null);
        resp.Dispose();
        if (challenge is { IsBearer: true, Realm: not null })
        {
            _bearer = challenge;
            _tokens[scope] = FetchToken(challenge, challenge.Scope ?? scope, ct);
        }
        else if (challenge is { IsBasic: true } && !_basic)
        {
            _basic = true;
        }
        else if (hadAuth || challenge is null)
        {
            throw AuthFailed(null);
        }
        if (_basic && _credentials is null)
            throw AuthFailed("the registry asks for a user name and password: use -Credential");
        resp = SendOnce(make, scope, ct);
        if (resp.StatusCode == HttpStatusCode.Unauthorized)
        {
            resp.Dispose();
            throw AuthFailed(null);
        }
        return resp;
    }

    private HttpResponseMessage SendOnce(Func<HttpRequestMessage> make, string scope, CancellationToken ct)
    {
        if (_bearer is not null && !_tokens.ContainsKey(scope))
            _tokens[scope] = FetchToken(_bearer, scope, ct);
        var req = make();
        if (_bearer is not null && _tokens.TryGetValue(scope, out var token) && token.Length > 0)
            req.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        else if (_basic && _credentials is not null)
            req.Headers.Authorization = BasicHeader(_credentials);
        try
        {
            return _http.Send(req, HttpCompletionOption.ResponseHeadersRead, ct);
        }
        catch (Exception e) when (IsTransportFailure(e, ct))
        {
            throw new PodShellException(ErrorIds.RegistryUnreachable, FailureKind.RuntimeFailed,
                $"Cannot reach the registry {_host}: {e.GetBaseException().Message}.", _host, e);
        }
    }

    private static AuthenticationHeaderValue BasicHeader(RegistryCredentials c) =>
        new("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{c.UserName}:{c.Password}")));

    /// <summary>GET realm?service=&amp;scope= (Basic auth when we have credentials); the answer's "token"
    /// or "access_token". Anonymous tokens are normal: Docker Hub gives them for public images.</summary>
    private string FetchToken(AuthChallenge c, string scope, CancellationToken ct)
    {
        var q = new List<string>();
        if (c.Service is not null) q.Add("service=" + Uri.EscapeDataString(c.Service));
        foreach (var s in scope.Split(' ', StringSplitOptions.RemoveEmptyEntries)) q.Add("scope=" + Uri.EscapeDataString(s));
        var realm = c.Realm!;
        var url = realm + (realm.Contains('?') ? "&" : "?") + string.Join("&", q);
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri))
            throw AuthFailed($"the token realm '{realm}' is not a URL");
        var req = new HttpRequestMessage(HttpMethod.Get, uri);
        if (_credentials is not null) req.Headers.Authorization = BasicHeader(_credentials);
        HttpResponseMessage resp;
        try { resp = _http.Send(req, HttpCompletionOption.ResponseHeadersRead, ct); }
        catch (Exception e) when (IsTransportFailure(e, ct))
        {
            throw new PodShellException(ErrorIds.RegistryUnreachable, FailureKind.RuntimeFailed,
                $"Cannot reach the token server {uri.Authority}: {e.GetBaseException().Message}.", uri.ToString(), e);
        }
        using (resp)
        {
            if (!resp.IsSuccessStatusCode)
                throw AuthFailed($"the token server answered {(int)resp.StatusCode} {resp.ReasonPhrase}");
            try
            {
                using var doc = JsonDocument.Parse(ReadBody(resp, 1 << 20, ct));
                foreach (var name in new[] { "token", "access_token" })
                    if (doc.RootElement.TryGetProperty(name, out var t) && t.ValueKind == JsonValueKind.String && t.GetString()!.Length > 0)
                        return t.GetString()!;
            }
            catch (JsonException) { }
            throw AuthFailed("the token server's answer has no token");
        }
    }

    private PodShellException AuthFailed(string? why) =>
        new(ErrorIds.RegistryAuthenticationFailed, FailureKind.PermissionDenied,
            $"The registry {_host} refused the credentials{(why is null ? (_credentials is null ? " (none were given: use -Credential)" : "") : ": " + why)}.", _host);

    private void Check(HttpResponseMessage resp, string what, string kind)
    {
        if (resp.IsSuccessStatusCode) return;
        string detail = "";
        try
        {
            var body = ReadBody(resp, 64 << 10, CancellationToken.None);
            using var doc = JsonDocument.Parse(body);
            if (doc.RootElement.TryGetProperty("errors", out var errs) && errs.ValueKind == JsonValueKind.Array)
                detail = string.Join("; ", errs.EnumerateArray().Select(e =>
                    $"{(e.TryGetProperty("code", out var c) ? c.ToString() : "")} {(e.TryGetProperty("message", out var m) ? m.ToString() : "")}".Trim()));
        }
        catch (Exception e) when (e is JsonException or IOException or HttpRequestException or InvalidOperationException) { }
        var suffix = detail.Length > 0 ? $" ({detail})" : "";
        throw resp.StatusCode switch
        {
            HttpStatusCode.NotFound => new PodShellException(ErrorIds.ImageNotFoundInRegistry, FailureKind.NotFound,
                $"The registry {_host} has no {kind} {what}{suffix}.", what),
            HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden => new PodShellException(ErrorIds.RegistryAuthenticationFailed, FailureKind.PermissionDenied,
                $"The registry {_host} denied access to {what}: {(int)resp.StatusCode} {resp.ReasonPhrase}{suffix}.", what),
            _ => new PodShellException(ErrorIds.RegistryRequestFailed, FailureKind.RuntimeFailed,
                $"The registry {_host} answered {(int)resp.StatusCode} {resp.ReasonPhrase} for {kind} {what}{suffix}.", what),
        };
    }

    private static byte[] ReadBody(HttpResponseMessage resp, int limit, CancellationToken ct)
    {
        using var s = resp.Content.ReadAsStream(ct);
        using var ms = new MemoryStream();
        var buf = new byte[1 << 16];
        int n;
        while ((n = s.Read(buf, 0, buf.Length)) > 0)
        {
            ct.ThrowIfCancellationRequested();
            ms.Write(buf, 0, n);
            if (ms.Length > limit)
                throw new PodShellException(ErrorIds.InvalidManifest, FailureKind.InvalidArgument, $"The registry sent more than {limit} bytes where a small JSON document was expected.", null);
        }
        return ms.ToArray();
    }

    public void Dispose() => _http.Dispose();
}
