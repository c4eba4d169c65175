using System.Globalization;
using System.Text.Json;
using Microsoft.Data.Sqlite;
using PodShell.Engine.Configuration;

namespace PodShell.Engine.Containers;

/// <summary>One step of the schema: what turns a database of version <see cref="To"/> - 1 into version
/// <see cref="To"/>. It runs inside <see cref="StoreSchema.Upgrade"/>'s transaction and must not commit.</summary>
internal sealed record StoreMigration(int To, string What, Action<SqliteConnection, SqliteTransaction> Apply);

/// <summary>Every migration, in order; the last one's <see cref="StoreMigration.To"/> is <see cref="StoreSchema.Version"/>.
/// A migration reads the old format by its literal JSON names and column names, never through a type the code still
/// changes: it must read the files of its time for as long as the code lives.</summary>
internal static class StoreMigrations
{
    public static readonly IReadOnlyList<StoreMigration> All =
    [
        new(1, "containers.data: the public Container's JSON becomes {config, state} with fixed names", SplitContainerRecords),
    ];

    /// <summary>Version 0 stored the public <see cref="Container"/> as the row's JSON, with the C# property names
    /// and the state as the enum's number; version 1 stores <see cref="StoredContainer"/>. Read here by the names
    /// version 0 wrote (its last writer: commit 1472a40; fixture Containers/Fixtures/v0).</summary>
    private static void SplitContainerRecords(SqliteConnection c, SqliteTransaction tx)
    {
        var rows = new List<(string Id, string Data)>();
        using (var q = c.CreateCommand())
        {
            q.Transaction = tx;
            q.CommandText = "SELECT id, data FROM containers";
            using var rd = q.ExecuteReader();
            while (rd.Read()) rows.Add((rd.GetString(0), rd.GetString(1)));
        }
        foreach (var (id, data) in rows)
        {
            var stored = ContainerProjection.Split(ReadVersion0Container(data));
            using var u = c.CreateCommand();
            u.Transaction = tx;
            u.CommandText = "UPDATE containers SET data=$data WHERE id=$id";
            u.Parameters.AddWithValue("$id", id);
            u.Parameters.AddWithValue("$data", StateStore.SerializeContainer(stored));
            u.ExecuteNonQuery();
        }
    }

    internal static Container ReadVersion0Container(string json)
    {
        using var doc = JsonDocument.Parse(json);
        var o = doc.RootElement;
        bool Has(string n, out JsonElement v) => o.TryGetProperty(n, out v) && v.ValueKind is not JsonValueKind.Null;
        string S(string n, string d = "") => Has(n, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString()! : d;
        string[] A(string n) => Has(n, out var v) && v.ValueKind == JsonValueKind.Array
            ? v.EnumerateArray().Select(e => e.GetString() ?? "").ToArray() : Array.Empty<string>();
        bool B(string n) => Has(n, out var v) && v.ValueKind == JsonValueKind.True;
        long L(string n, long d) => Has(n, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetInt64() : d;
        int I(string n) => Has(n, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetInt32() : 0;
        int? NI(string n) => Has(n, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetInt32() : null;
        DateTime? T(string n) => Has(n, out var v) && v.ValueKind == JsonValueKind.String ? v.GetDateTime() : null;
        // Version 0 wrote +Infinity (no CPU limit) as the string "Infinity" (AllowNamedFloatingPointLiterals).
        double D(string n, double d) => !Has(n, out var v) ? d
            : v.ValueKind == JsonValueKind.Number ? v.GetDouble()
            : double.TryParse(v.GetString(), NumberStyles.Float, CultureInfo.InvariantCulture, out var x) ? x : d;
        var labels = new Dictionary<string, string>();
        if (Has("Labels", out var l) && l.ValueKind == JsonValueKind.Object)
            foreach (var p in l.EnumerateObject()) labels[p.Name] = p.Value.GetString() ?? "";
        // The state was the enum's number, in the order the enum had then.
        ContainerState[] v0States =
        [
            ContainerState.Creating, ContainerState.Created, ContainerState.Starting, ContainerState.Running,
            ContainerState.Paused, ContainerState.Stopping, ContainerState.Exited, ContainerState.Removing,
        ];
        var state = I("State");
        return new Container
        {
            Id = S("Id"), Name = S("Name"), Image = S("Image"), ImageId = S("ImageId"),
            State = state >= 0 && state < v0States.Length ? v0States[state] : ContainerState.Exited,
            Pid = I("Pid"), ExitCode = NI("ExitCode"), OomKilled = B("OomKilled"),
            Created = T("Created") ?? default, StartedAt = T("StartedAt"), FinishedAt = T("FinishedAt"),
            Command = A("Command"), Entrypoint = A("Entrypoint"), Hostname = S("Hostname"),
            WorkingDirectory = S("WorkingDirectory", "/"), User = S("User"), StopSignal = S("StopSignal", "SIGTERM"),
            Environment = A("Environment"),
            MemoryMax = L("MemoryMax", long.MaxValue), Cpus = D("Cpus", double.PositiveInfinity), PidsMax = L("PidsMax", long.MaxValue),
            Network = S("Network", "none"), Ports = A("Ports"), Mounts = A("Mounts"), Labels = labels,
            Runtime = S("Runtime"), BundlePath = S("BundlePath"), LayerId = S("LayerId"), LogSizeMax = L("LogSizeMax", long.MaxValue),
            AutoRemove = B("AutoRemove"), Init = B("Init"), BootId = S("BootId"),
            Capabilities = A("Capabilities"), CapAdd = A("CapAdd"), CapDrop = A("CapDrop"),
            Privileged = B("Privileged"), Rootless = B("Rootless"), ReadOnly = B("ReadOnly"),
            SecurityOpt = A("SecurityOpt"), Seccomp = S("Seccomp", "default"), Ulimits = A("Ulimits"),
            ShmSize = L("ShmSize", ContainerResources.DefaultShmSize), Devices = A("Devices"), Tmpfs = A("Tmpfs"),
            Networks = A("Networks"), IPAddresses = A("IPAddresses"),
            PidMode = S("PidMode", "private"), IpcMode = S("IpcMode", "private"), UtsMode = S("UtsMode", "private"),
        };
    }
}
