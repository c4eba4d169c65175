using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using Microsoft.Data.Sqlite;
using PodShell.Engine.Configuration;

namespace PodShell.Engine.Containers;

/// <summary>All engine state in one SQLite file (WAL). Every write runs in a BEGIN IMMEDIATE
/// transaction, so several pwsh processes can share one store (Podman 5 moved to SQLite for the
/// same reason); nothing here relies on in-process locks.</summary>
public sealed partial class StateStore
{
    private readonly string _connectionString;
    // Unlimited CPUs are +Infinity in the model; JSON has no literal for it without this.
    // The records' types come from the source-generated StoreJson: reflection-based metadata costs a fresh pwsh
    // hundreds of milliseconds (Reflection.Emit accessors, then their JIT) on its first container, which is what
    // several processes starting containers at once pay together. Any other type falls back to reflection.
    internal static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = false,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        TypeInfoResolver = JsonTypeInfoResolver.Combine(StoreJson.Default, new DefaultJsonTypeInfoResolver()),
    };
    private static readonly JsonTypeInfo<StoredContainer> ContainerJson = (JsonTypeInfo<StoredContainer>)Json.GetTypeInfo(typeof(StoredContainer));
    private static readonly JsonTypeInfo<ContainerImage> ImageJson = (JsonTypeInfo<ContainerImage>)Json.GetTypeInfo(typeof(ContainerImage));

    public string Path { get; }

    public StateStore(string path)
    {
        Path = path;
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(path)!);
        _connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = path,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Cache = SqliteCacheMode.Private,
            DefaultTimeout = 30, // Microsoft.Data.Sqlite retries SQLITE_BUSY until this many seconds pass.
            Pooling = true,
        }.ToString();
        Migrate();
    }

    internal SqliteConnection Open()
    {
        using var counted = Diagnostics.EngineCounters.Enter(Diagnostics.EnginePhase.Database);
        var c = new SqliteConnection(_connectionString);
        c.Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = "PRAGMA busy_timeout=30000; PRAGMA foreign_keys=ON;";
        cmd.ExecuteNonQuery();
        return c;
    }

    /// <summary>WAL (persistent in the file; setting it per open is cheap and idempotent), then the schema brought
    /// to this code's version (<see cref="StoreSchema"/>).</summary>
    private void Migrate()
    {
        using var c = Open();
        StoreSchema.Execute(c, null, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;");
        StoreSchema.Upgrade(c);
    }

    // ---- containers ---------------------------------------------------------------------

    /// <summary>Insert a new container; the UNIQUE name constraint makes two pwsh processes racing for
    /// one name end with exactly one winner. With <paramref name="requireImage"/> (every create of the engine) the
    /// image is checked in the same transaction: an image removal (<see cref="DeleteImageTakingUsers"/>) either ran
    /// before, and the create fails with ImageNotFound, or runs after and counts this container as a user.</summary>
    public void InsertContainer(ContainerRecord r, bool requireImage = false)
    {
        using var c = Open();
        using var tx = c.BeginTransaction(); // Microsoft.Data.Sqlite: BEGIN IMMEDIATE
        if (requireImage)
        {
            using var check = c.CreateCommand();
            check.Transaction = tx;
            check.CommandText = "SELECT 1 FROM images WHERE id=$img";
            check.Parameters.AddWithValue("$img", r.Container.ImageId);
            if (check.ExecuteScalar() is null)
                throw new PodShellException(ErrorIds.ImageNotFound, FailureKind.NotFound,
                    $"Image '{r.Container.Image}' was removed while the container was being created.", r.Container.Image);
        }
        using var cmd = c.CreateCommand();
        cmd.Transaction = tx;
        cmd.CommandText = "INSERT INTO containers(id,name,state,image_id,owner_pid,owner_start,conmon_pid,pid_start,data) VALUES($id,$name,$state,$img,$op,$os,$cp,$ps,$data)";
        Bind(cmd, r);
        try
        {
            cmd.ExecuteNonQuery();
        }
        catch (SqliteException e) when (e.SqliteErrorCode == 19 /* SQLITE_CONSTRAINT */)
        {
            throw new PodShellException(ErrorIds.ContainerNameInUse, FailureKind.AlreadyExists,
                $"The container name '{r.Container.Name}' is already in use. Choose another name, or remove the existing container.", r.Container.Name, e);
        }
        tx.Commit();
    }

    private const string UpdateSql = "UPDATE containers SET name=$name,state=$state,image_id=$img,owner_pid=$op,owner_start=$os,conmon_pid=$cp,pid_start=$ps,data=$data WHERE id=$id";

    public void UpdateContainer(ContainerRecord r)
    {
        using var c = Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = UpdateSql;
        Bind(cmd, r);
        cmd.ExecuteNonQuery();
    }

    /// <summary>Atomically move a container from one of the expected states to a new one, claiming it
    /// for this process. Returns the fresh record, or null when another process got there first.</summary>
    public ContainerRecord? TryTransition(string id, ContainerState[] from, ContainerState to, int ownerPid, ulong ownerStart)
    {
        using var c = Open();
        using var tx = c.BeginTransaction();
        var r = GetContainer(c, tx, id);
        if (r is null || !from.Contains(r.Container.State)) return null;
        r.Container.State = to;
        r.OwnerPid = ownerPid;
        r.OwnerStart = ownerStart;
        using var cmd = c.CreateCommand();
        cmd.Transaction = tx;
        cmd.CommandText = "UPDATE containers SET state=$state,owner_pid=$op,owner_start=$os,data=$data WHERE id=$id";
        Bind(cmd, r);
        cmd.ExecuteNonQuery();
        tx.Commit();
        return r;
    }

    /// <summary>Write the record only if the stored state is still one of <paramref name="expected"/>;
    /// two processes folding the same exit file cannot overwrite each other's result.</summary>
    public bool UpdateContainerIf(ContainerRecord r, params ContainerState[] expected) => UpdateContainerIf(r, keepOwner: false, expected);

    /// <summary>As <see cref="UpdateContainerIf(ContainerRecord, ContainerState[])"/>; with <paramref name="keepOwner"/>
    /// the stored owner columns are left as they are (an exit fold must not bring back an owner that the attached
    /// client of an -AutoRemove run has released meanwhile). <paramref name="r"/> gets the stored owner.</summary>
    public bool UpdateContainerIf(ContainerRecord r, bool keepOwner, params ContainerState[] expected)
    {
        using var c = Open();
        using var tx = c.BeginTransaction();
        var cur = GetContainer(c, tx, r.Container.Id);
        if (cur is null || !expected.Contains(cur.Container.State)) return false;
        if (keepOwner)
        {
            r.OwnerPid = cur.OwnerPid;
            r.OwnerStart = cur.OwnerStart;
        }
        using var cmd = c.CreateCommand();
        cmd.Transaction = tx;
        cmd.CommandText = UpdateSql;
        Bind(cmd, r);
        cmd.ExecuteNonQuery();
        tx.Commit();
        return true;
    }

    /// <summary>Clear the owner of a running or exited container if it is still <paramref name="pid"/> started at
    /// <paramref name="start"/> (the attached client of an -AutoRemove run giving up its hold). False when the
    /// record is gone or has another owner.</summary>
    public bool ReleaseOwner(string id, int pid, ulong start)
    {
        using var c = Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = "UPDATE containers SET owner_pid=0,owner_start=0 WHERE id=$id AND owner_pid=$op AND owner_start=$os AND state IN ('Running','Stopping','Paused','Exited')";
        cmd.Parameters.AddWithValue("$id", id);
        cmd.Parameters.AddWithValue("$op", pid);
        cmd.Parameters.AddWithValue("$os", (long)start);
        return cmd.ExecuteNonQuery() > 0;
    }

    public void DeleteContainer(string id)
    {
        using var c = Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = "DELETE FROM containers WHERE id=$id";
        cmd.Parameters.AddWithValue("$id", id);
        cmd.ExecuteNonQuery();
    }

    public ContainerRecord? GetContainer(string id)
    {
        using var c = Open();
        return GetContainer(c, null, id);
    }

    public List<ContainerRecord> ListContainers()
    {
        using var c = Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = "SELECT owner_pid,owner_start,conmon_pid,pid_start,data FROM containers ORDER BY rowid";
        return ReadRecords(cmd);
    }

    public int CountContainersUsingImage(string imageId)
    {
        using var c = Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = "SELECT count(*) FROM containers WHERE image_id=$i";
        cmd.Parameters.AddWithValue("$i", imageId);
        return Convert.ToInt32(cmd.ExecuteScalar());
    }

    private static ContainerRecord? GetContainer(SqliteConnection c, SqliteTransaction? tx, string id)
    {
        using var cmd = c.CreateCommand();
        cmd.Transaction = tx;
        cmd.CommandText = "SELECT owner_pid,owner_start,conmon_pid,pid_start,data FROM containers WHERE id=$id";
        cmd.Parameters.AddWithValue("$id", id);
        return ReadRecords(cmd).FirstOrDefault();
    }

    private static List<ContainerRecord> ReadRecords(SqliteCommand cmd)
    {
        var list = new List<ContainerRecord>();
        using var rd = cmd.ExecuteReader();
        while (rd.Read())
        {
            list.Add(new ContainerRecord
            {
                OwnerPid = rd.GetInt32(0),
                OwnerStart = (ulong)rd.GetInt64(1),
                ConmonPid = rd.GetInt32(2),
                PidStart = (ulong)rd.GetInt64(3),
                Container = ContainerProjection.ToContainer(JsonSerializer.Deserialize(rd.GetString(4), ContainerJson)!),
            });
        }
        return list;
    }

    private static void Bind(SqliteCommand cmd, ContainerRecord r)
    {
        cmd.Parameters.AddWithValue("$id", r.Container.Id);
        cmd.Parameters.AddWithValue("$name", r.Container.Name);
        cmd.Parameters.AddWithValue("$state", r.Container.State.ToString());
        cmd.Parameters.AddWithValue("$img", r.Container.ImageId);
        cmd.Parameters.AddWithValue("$op", r.OwnerPid);
        cmd.Parameters.AddWithValue("$os", (long)r.OwnerStart);
        cmd.Parameters.AddWithValue("$cp", r.ConmonPid);
        cmd.Parameters.AddWithValue("$ps", (long)r.PidStart);
        cmd.Parameters.AddWithValue("$data", SerializeContainer(ContainerProjection.Split(r.Container)));
    }

    internal static string SerializeContainer(StoredContainer stored) => JsonSerializer.Serialize(stored, ContainerJson);
}
