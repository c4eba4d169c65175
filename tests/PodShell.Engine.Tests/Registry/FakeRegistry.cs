using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using PodShell.Engine.Images.Registry;
using PodShell.Engine.Tests.Layers;

namespace PodShell.Engine.Tests.Registry;

/// <summary>A small in-memory OCI distribution registry on 127.0.0.1, with its own token endpoint for
/// the Bearer flow (docker-registry's token auth needs a signing certificate and JWTs, too heavy for a
/// test). It can serve tampered content and stall a blob, which a real registry will not do.</summary>
internal sealed class FakeRegistry : IDisposable
{
    private readonly HttpListener _listener = new();
    private readonly Thread _loop;
    private readonly ManualResetEventSlim _stop = new();
    private readonly ConcurrentDictionary<string, MemoryStream> _uploads = new();

    public int Port { get; }
    public string Host => $"127.0.0.1:{Port}";
    public ConcurrentDictionary<string, byte[]> Blobs { get; } = new();
    /// <summary>"repo:reference" (tag or digest) -> (bytes, media type).</summary>
    public ConcurrentDictionary<string, (byte[] Bytes, string MediaType)> Manifests { get; } = new();
    public ConcurrentQueue<string> Requests { get; } = new();

    /// <summary>When set, /v2/ needs "Bearer &lt;Token&gt;", got from /token.</summary>
    public bool RequireBearer { get; set; }
    /// <summary>When set, /token needs these Basic credentials.</summary>
    public (string User, string Password)? TokenCredentials { get; set; }
    public string Token { get; } = "tok-" + Guid.NewGuid().ToString("N");
    /// <summary>Digests whose blob is served with changed bytes.</summary>
    public HashSet<string> TamperedBlobs { get; } = new();
    /// <summary>A blob whose GET sends some bytes and then hangs until the registry is disposed.</summary>
    public string? StalledBlob { get; set; }
    /// <summary>Called once the stalled blob has started to flow.</summary>
    public ManualResetEventSlim StallStarted { get; } = new();

    public FakeRegistry()
    {
        Port = FreePort();
        _listener.Prefixes.Add($"http://127.0.0.1:{Port}/");
        _listener.Start();
        _loop = new Thread(Loop) { IsBackground = true, Name = "fake-registry" };
        _loop.Start();
    }

    public static int FreePort()
    {
        var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        int port = ((IPEndPoint)l.LocalEndpoint).Port;
        l.Stop();
        return port;
    }

    public static string Digest(byte[] b) => "sha256:" + Convert.ToHexString(SHA256.HashData(b)).ToLowerInvariant();

    public int CountRequests(string prefix) => Requests.Count(r => r.StartsWith(prefix, StringComparison.Ordinal));

    /// <summary>Put a one-file image (gzip layer) for <paramref name="arch"/>: returns its manifest.</summary>
    public (byte[] Manifest, string ManifestDigest, string ConfigDigest, string LayerDigest) AddImage(string repo, string? tag, string arch, string fileContent)
    {
        var tar = new TarBuilder().Dir("etc/").File("etc/arch", fileContent).Build();
        var gz = TarBuilder.Gzip(tar);
        var config = Encoding.UTF8.GetBytes(new JsonObject
        {
            ["architecture"] = arch,
            ["os"] = "linux",
            ["created"] = "2024-01-02T03:04:05Z",
            ["config"] = new JsonObject { ["Cmd"] = new JsonArray("/bin/sh") },
            ["rootfs"] = new JsonObject { ["type"] = "layers", ["diff_ids"] = new JsonArray(Digest(tar)) },
        }.ToJsonString());
        Blobs[Digest(gz)] = gz;
        Blobs[Digest(config)] = config;
        var manifest = Encoding.UTF8.GetBytes(new JsonObject
        {
            ["schemaVersion"] = 2,
            ["mediaType"] = ManifestMediaTypes.OciManifest,
            ["config"] = new JsonObject { ["mediaType"] = ManifestMediaTypes.OciConfig, ["digest"] = Digest(config), ["size"] = config.Length },
            ["layers"] = new JsonArray(new JsonObject { ["mediaType"] = ManifestMediaTypes.OciLayerGzip, ["digest"] = Digest(gz), ["size"] = gz.Length }),
        }.ToJsonString());
        Manifests[$"{repo}:{Digest(manifest)}"] = (manifest, ManifestMediaTypes.OciManifest);
        if (tag != null) Manifests[$"{repo}:{tag}"] = (manifest, ManifestMediaTypes.OciManifest);
        return (manifest, Digest(manifest), Digest(config), Digest(gz));
    }

    /// <summary>An OCI index over the given (platform, manifest) pairs, under <paramref name="tag"/>.</summary>
    public string AddIndex(string repo, string tag, params (string Os, string Arch, string? Variant, byte[] Manifest)[] entries)
    {
        var ms = new JsonArray();
        foreach (var e in entries)
        {
            var platform = new JsonObject { ["os"] = e.Os, ["architecture"] = e.Arch };
            if (e.Variant != null) platform["variant"] = e.Variant;
            ms.Add(new JsonObject { ["mediaType"] = ManifestMediaTypes.OciManifest, ["digest"] = Digest(e.Manifest), ["size"] = e.Manifest.Length, ["platform"] = platform });
        }
        var index = Encoding.UTF8.GetBytes(new JsonObject { ["schemaVersion"] = 2, ["mediaType"] = ManifestMediaTypes.OciIndex, ["manifests"] = ms }.ToJsonString());
        Manifests[$"{repo}:{tag}"] = (index, ManifestMediaTypes.OciIndex);
        Manifests[$"{repo}:{Digest(index)}"] = (index, ManifestMediaTypes.OciIndex);
        return Digest(index);
    }

    private void Loop()
    {
        while (!_stop.IsSet)
        {
            HttpListenerContext ctx;
            try { ctx = _listener.GetContext(); }
            catch (Exception) { return; }
            ThreadPool.QueueUserWorkItem(_ => Handle(ctx));
        }
    }

    private void Handle(HttpListenerContext ctx)
    {
        var req = ctx.Request;
        var resp = ctx.Response;
        var path = req.Url!.AbsolutePath;
        Requests.Enqueue($"{req.HttpMethod} {path}");
        try
        {
            if (path == "/token")
            {
                if (TokenCredentials is { } tc)
                {
                    var expected = "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes($"{tc.User}:{tc.Password}"));
                    if (req.Headers["Authorization"] != expected) { Reply(resp, 401, "{}"); return; }
                }
                Reply(resp, 200, $"{{\"access_token\":\"{Token}\",\"expires_in\":300}}");
                return;
            }
            if (!path.StartsWith("/v2/")) { Reply(resp, 404, "{}"); return; }
            if (RequireBearer && req.Headers["Authorization"] != "Bearer " + Token)
            {
                var repoForScope = RepoOf(path);
                var scope = repoForScope is null ? "" : $",scope=\"repository:{repoForScope}:pull\"";
                resp.AddHeader("WWW-Authenticate", $"Bearer realm=\"http://127.0.0.1:{Port}/token\",service=\"fake-registry\"{scope}");
                Reply(resp, 401, "{\"errors\":[{\"code\":\"UNAUTHORIZED\",\"message\":\"authentication required\"}]}");
                return;
            }
            if (path == "/v2/") { Reply(resp, 200, "{}"); return; }

            int mi = path.LastIndexOf("/manifests/", StringComparison.Ordinal);
            int bi = path.LastIndexOf("/blobs/", StringComparison.Ordinal);
            if (mi > 0)
            {
                var repo = path[4..mi];
                var reference = path[(mi + "/manifests/".Length)..];
                if (req.HttpMethod == "PUT")
                {
                    var body = ReadBody(req);
                    var mt = req.ContentType ?? ManifestMediaTypes.OciManifest;
                    Manifests[$"{repo}:{reference}"] = (body, mt);
                    Manifests[$"{repo}:{Digest(body)}"] = (body, mt);
                    resp.AddHeader("Docker-Content-Digest", Digest(body));
                    Reply(resp, 201, "");
                    return;
                }
                if (!Manifests.TryGetValue($"{repo}:{reference}", out var m)) { Reply(resp, 404, "{\"errors\":[{\"code\":\"MANIFEST_UNKNOWN\",\"message\":\"manifest unknown\"}]}"); return; }
                resp.ContentType = m.MediaType;
                resp.AddHeader("Docker-Content-Digest", Digest(m.Bytes));
                Reply(resp, 200, m.Bytes, head: req.HttpMethod == "HEAD");
                return;
            }
            if (bi > 0 && path.EndsWith("/blobs/uploads/") && req.HttpMethod == "POST")
            {
                var id = Guid.NewGuid().ToString("N");
                _uploads[id] = new MemoryStream();
                resp.AddHeader("Location", $"{path}{id}?state=x");
                Reply(resp, 202, "");
                return;
            }
            if (bi > 0 && path.Contains("/blobs/uploads/") && req.HttpMethod == "PUT")
            {
                var id = path[(path.LastIndexOf('/') + 1)..];
                var body = ReadBody(req);
                var digest = req.QueryString["digest"];
                if (!_uploads.TryRemove(id, out _) || digest != Digest(body)) { Reply(resp, 400, "{\"errors\":[{\"code\":\"DIGEST_INVALID\"}]}"); return; }
                Blobs[digest] = body;
                Reply(resp, 201, "");
                return;
            }
            if (bi > 0)
            {
                var digest = path[(bi + "/blobs/".Length)..];
                if (!Blobs.TryGetValue(digest, out var blob)) { Reply(resp, 404, "{\"errors\":[{\"code\":\"BLOB_UNKNOWN\"}]}"); return; }
                if (TamperedBlobs.Contains(digest))
                {
                    blob = (byte[])blob.Clone();
                    blob[blob.Length / 2] ^= 0xff;
                }
                if (digest == StalledBlob && req.HttpMethod == "GET")
                {
                    resp.StatusCode = 200;
                    resp.ContentLength64 = blob.Length;
                    resp.OutputStream.Write(blob, 0, blob.Length / 2);
                    resp.OutputStream.Flush();
                    StallStarted.Set();
                    _stop.Wait();
                    resp.Abort();
                    return;
                }
                Reply(resp, 200, blob, head: req.HttpMethod == "HEAD");
                return;
            }
            Reply(resp, 404, "{}");
        }
        catch (Exception)
        {
            try { resp.Abort(); } catch (Exception) { }
        }
    }

    private static string? RepoOf(string path)
    {
        foreach (var marker in new[] { "/manifests/", "/blobs/" })
        {
            int i = path.LastIndexOf(marker, StringComparison.Ordinal);
            if (i > 4) return path[4..i];
        }
        return null;
    }

    private static byte[] ReadBody(HttpListenerRequest req)
    {
        using var ms = new MemoryStream();
        req.InputStream.CopyTo(ms);
        return ms.ToArray();
    }

    private static void Reply(HttpListenerResponse resp, int status, string body) => Reply(resp, status, Encoding.UTF8.GetBytes(body));

    private static void Reply(HttpListenerResponse resp, int status, byte[] body, bool head = false)
    {
        resp.StatusCode = status;
        resp.ContentLength64 = body.Length;
        if (!head) resp.OutputStream.Write(body, 0, body.Length);
        resp.Close();
    }

    public void Dispose()
    {
        _stop.Set();
        try { _listener.Stop(); _listener.Close(); } catch (Exception) { }
        _loop.Join(TimeSpan.FromSeconds(5));
    }
}
