using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.Data.Sqlite;

namespace PodShell.Engine.Containers;

/// <summary>Named volumes: rows in the shared SQLite store and directories in podman's layout,
/// &lt;root&gt;/&lt;name&gt;/_data. A row and its directory change in one BEGIN IMMEDIATE
/// transaction, so a pwsh removing a volume and another one mounting it never interleave.</summary>
public sealed partial class VolumeStore
{
    private readonly StateStore _state;

    /// <summary>Directory holding one sub-directory per volume (&lt;graphroot&gt;/volumes).</summary>
    public string Root { get; }

    public VolumeStore(StateStore state, string root)
    {
        _state = state;
        Root = root;
        // Its tables are in the store's one schema (Containers/StoreSchema.cs).
    }

    // podman's volume name rule (libpod/define.NameRegex).
    [GeneratedRegex("^[a-zA-Z0-9][a-zA-Z0-9_.-]*$")]
    private static partial Regex NameRegex();

    public static bool IsValidName(string name) => name.Length is > 0 and <= 255 && NameRegex().IsMatch(name);

    public string DataDir(string name) => Path.Combine(Root, name, "_data");

    /// <summary>Create an empty volume. Throws VolumeAlreadyExists or InvalidVolumeName.</summary>
    public ContainerVolume Create(string name, IDictionary<string, string>? labels)
    {
        CheckName(name);
        using var c = _state.Open();
        using var tx = c.BeginTransaction();
        if (Exists(c, tx, name))
            throw new PodShellException(ErrorIds.VolumeAlreadyExists, FailureKind.AlreadyExists,
                $"A volume named '{name}' already exists. Choose another name, or use the existing one.", name);
        Insert(c, tx, name, labels, createdBy: null);
        tx.Commit();
        return Get(name)!;
    }

    public ContainerVolume? Get(string name)
    {
        using var c = _state.Open();
        return Read(c, null, "WHERE v.name=$n", ("$n", name)).FirstOrDefault();
    }

    public List<ContainerVolume> List()
    {
        using var c = _state.Open();
        return Read(c, null, "", null);
    }

    /// <summary>Ids of the containers that mount the volume and still exist.</summary>
    public List<string> Users(string name)
    {
        using var c = _state.Open();
        return Users(c, null, name);
    }

    /// <summary>Record that a container mounts these volumes, creating the missing ones when
    /// <paramref name="createMissing"/> (podman creates a named volume on first use). A volume created
    /// here remembers the container, so a create that fails can take it back (<see cref="Release"/>).</summary>
    public List<ContainerVolume> Use(string containerId, IReadOnlyCollection<string> names, bool createMissing)
    {
        foreach (var n in names) CheckName(n);
        using var c = _state.Open();
        using var tx = c.BeginTransaction();
        foreach (var name in names.Distinct(StringComparer.Ordinal))
        {
            if (!Exists(c, tx, name))
            {
                if (!createMissing)
                    throw new PodShellException(ErrorIds.VolumeNotFound, FailureKind.NotFound,
                        $"No volume named '{name}' exists. Create it with New-ContainerVolume.", name);
                Insert(c, tx, name, null, containerId);
            }
            else
            {
                // A directory removed behind the store's back would make runc fail with a bare ENOENT.
                Directory.CreateDirectory(DataDir(name));
            }
            using var cmd = c.CreateCommand();
            cmd.Transaction = tx;
            cmd.CommandText = "INSERT OR IGNORE INTO volume_users(volume,container_id) VALUES($v,$c)";
            cmd.Parameters.AddWithValue("$v", name);
            cmd.Parameters.AddWithValue("$c", containerId);
            cmd.ExecuteNonQuery();
        }
        tx.Commit();
        var set = names.ToHashSet(StringComparer.Ordinal);
        return List().Where(v => set.Contains(v.Name)).ToList();
    }

    /// <summary>Forget that a container mounts volumes. With <paramref name="dropCreated"/> (a create
    /// that did not finish) the volumes that container created and nobody else uses go too, so a failed
    /// New-Container leaves nothing behind. Returns the names of the volumes removed.</summary>
    public List<string> Release(string containerId, bool dropCreated)
    {
        var dropped = new List<string>();
        var tombstones = new List<string>();
        using (var c = _state.Open())
        using (var tx = c.BeginTransaction())
        {
            using (var cmd = c.CreateCommand())
            {
                cmd.Transaction = tx;
                cmd.CommandText = "DELETE FROM volume_users WHERE container_id=$c";
                cmd.Parameters.AddWithValue("$c", containerId);
                cmd.ExecuteNonQuery();
            }
            if (dropCreated)
            {
                var created = new List<string>();
                using (var cmd = c.CreateCommand())
                {
                    cmd.Transaction = tx;
                    cmd.CommandText = "SELECT name FROM volumes WHERE created_by=$c";
                    cmd.Parameters.AddWithValue("$c", containerId);
                    using var rd = cmd.ExecuteReader();
                    while (rd.Read()) created.Add(rd.GetString(0));
                }
                foreach (var name in created.Where(n => Users(c, tx, n).Count == 0))
                {
                    tombstones.Add(DeleteRowAndDetach(c, tx, name));
                    dropped.Add(name);
                }
            }
            tx.Commit();
        }
        foreach (var t in tombstones) DeleteTree(t);
        return dropped;
    }

    /// <summary>Remove a volume nobody mounts, and its data. Throws VolumeNotFound or VolumeInUse.</summary>
    public void Remove(string name)
    {
        string tombstone;
        using (var c = _state.Open())
        using (var tx = c.BeginTransaction())
        {
            if (!Exists(c, tx, name))
                throw new PodShellException(ErrorIds.VolumeNotFound, FailureKind.NotFound, $"No volume named '{name}' exists.", name);
            var users = Users(c, tx, name);
            if (users.Count > 0)
                throw InUse(name, ContainerNames(c, tx, users));
            using (var cmd = c.CreateCommand())
            {
                cmd.Transaction = tx;
                // Rows left by containers whose record is gone.
                cmd.CommandText = "DELETE FROM volume_users WHERE volume=$v";
                cmd.Parameters.AddWithValue("$v", name);
                cmd.ExecuteNonQuery();
            }
            tombstone = DeleteRowAndDetach(c, tx, name);
            tx.Commit();
        }
        DeleteTree(tombstone);
    }

    internal static PodShellException InUse(string name, IReadOnlyCollection<string> containerNames) =>
        new(ErrorIds.VolumeInUse, FailureKind.InvalidState,
            $"Volume '{name}' is used by {containerNames.Count} container(s) ({string.Join(", ", containerNames)}). Remove them first, or use -Force to remove them too.", name);

    /// <summary>Apparent size of the files in a directory; symbolic links are not followed.</summary>
    public static long MeasureSize(string dir)
    {
        long total = 0;
        var pending = new Stack<DirectoryInfo>();
        pending.Push(new DirectoryInfo(dir));
        while (pending.Count > 0)
        {
            var d = pending.Pop();
            IEnumerable<FileSystemInfo> entries;
            try { entries = d.EnumerateFileSystemInfos().ToList(); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { continue; }
            foreach (var e in entries)
            {
                if (e.LinkTarget != null) continue;
                if (e is DirectoryInfo sub) pending.Push(sub);
                else if (e is FileInfo f) total += f.Length;
            }
        }
        return total;
    }

    // ---- internals ------------------------------------------------------------------------

    private static void CheckName(string name)
    {
        if (!IsValidName(name))
            throw new PodShellException(ErrorIds.InvalidVolumeName, FailureKind.InvalidArgument,
                $"'{name}' is not a valid volume name: use letters, digits, '_', '.' and '-', starting with a letter or digit.", name);
    }

    private static bool Exists(SqliteConnection c, SqliteTransaction? tx, string name)
    {
        using var cmd = c.CreateCommand();
        cmd.Transaction = tx;
        cmd.CommandText = "SELECT 1 FROM volumes WHERE name=$n";
        cmd.Parameters.AddWithValue("$n", name);
        return cmd.ExecuteScalar() != null;
    }

    // The directory is made inside the transaction: a remove of the same name in another process waits
    // for our commit, so it never deletes a directory a new row points to.
    private void Insert(SqliteConnection c, SqliteTransaction tx, string name, IDictionary<string, string>? labels, string? createdBy)
    {
        using var cmd = c.CreateCommand();
        cmd.Transaction = tx;
        cmd.CommandText = "INSERT INTO volumes(name,driver,labels,created,created_by) VALUES($n,'local',$l,$c,$by)";
        cmd.Parameters.AddWithValue("$n", name);
        cmd.Parameters.AddWithValue("$l", JsonSerializer.Serialize(labels ?? new Dictionary<string, string>(), StateStore.Json));
        cmd.Parameters.AddWithValue("$c", DateTime.UtcNow.ToString("O"));
        cmd.Parameters.AddWithValue("$by", (object?)createdBy ?? DBNull.Value);
        cmd.ExecuteNonQuery();
        var data = DataDir(name);
        Directory.CreateDirectory(data);
        // podman's volume dirs are 0700 and _data 0755: only root walks into the store, containers see a normal dir.
        Linux.FileOwnership.Chmod(Path.GetDirectoryName(data)!, 0b111_000_000);
        Linux.FileOwnership.Chmod(data, 0b111_101_101);
    }

    /// <summary>Delete the row and move the directory aside under a name no volume can have (a leading
    /// dot), so the slow recursive delete runs after the commit without racing a new volume of that name.</summary>
    private string DeleteRowAndDetach(SqliteConnection c, SqliteTransaction tx, string name)
    {
        using (var cmd = c.CreateCommand())
        {
            cmd.Transaction = tx;
            cmd.CommandText = "DELETE FROM volumes WHERE name=$n";
            cmd.Parameters.AddWithValue("$n", name);
            cmd.ExecuteNonQuery();
        }
        var dir = Path.Combine(Root, name);
        var tombstone = Path.Combine(Root, ".removing-" + Guid.NewGuid().ToString("N")[..12]);
        if (Directory.Exists(dir)) Directory.Move(dir, tombstone);
        return tombstone;
    }

    private static void DeleteTree(string dir)
    {
        // Directory.Delete removes symbolic links without following them, so data outside the volume is safe.
        try { if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new PodShellException(ErrorIds.CleanupIncomplete, FailureKind.ResourceBusy,
                $"The volume's data at '{dir}' could not be deleted completely: {e.Message}", dir, e);
        }
    }

    private static List<string> Users(SqliteConnection c, SqliteTransaction? tx, string name)
    {
        using var cmd = c.CreateCommand();
        cmd.Transaction = tx;
        cmd.CommandText = "SELECT u.container_id FROM volume_users u JOIN containers k ON k.id=u.container_id WHERE u.volume=$v ORDER BY k.rowid";
        cmd.Parameters.AddWithValue("$v", name);
        var list = new List<string>();
        using var rd = cmd.ExecuteReader();
        while (rd.Read()) list.Add(rd.GetString(0));
        return list;
    }

    private static List<string> ContainerNames(SqliteConnection c, SqliteTransaction? tx, List<string> ids)
    {
        var names = new List<string>();
        foreach (var id in ids)
        {
            using var cmd = c.CreateCommand();
            cmd.Transaction = tx;
            cmd.CommandText = "SELECT name FROM containers WHERE id=$i";
            cmd.Parameters.AddWithValue("$i", id);
            if (cmd.ExecuteScalar() is string n) names.Add(n);
        }
        return names;
    }

    private List<ContainerVolume> Read(SqliteConnection c, SqliteTransaction? tx, string where, (string, string)? param)
    {
        var users = new Dictionary<string, List<string>>();
        using (var cmd = c.CreateCommand())
        {
            cmd.Transaction = tx;
            cmd.CommandText = "SELECT u.volume, k.name FROM volume_users u JOIN containers k ON k.id=u.container_id ORDER BY k.rowid";
            using var rd = cmd.ExecuteReader();
            while (rd.Read())
            {
                var v = rd.GetString(0);
                if (!users.TryGetValue(v, out var l)) users[v] = l = new List<string>();
                l.Add(rd.GetString(1));
            }
        }
        var list = new List<ContainerVolume>();
        using (var cmd = c.CreateCommand())
        {
            cmd.Transaction = tx;
            cmd.CommandText = $"SELECT v.name,v.driver,v.labels,v.created FROM volumes v {where} ORDER BY v.name";
            if (param is { } p) cmd.Parameters.AddWithValue(p.Item1, p.Item2);
            using var rd = cmd.ExecuteReader();
            while (rd.Read())
            {
                var name = rd.GetString(0);
                list.Add(new ContainerVolume
                {
                    Name = name,
                    Driver = rd.GetString(1),
                    Labels = JsonSerializer.Deserialize<Dictionary<string, string>>(rd.GetString(2), StateStore.Json) ?? new(),
                    Created = DateTime.Parse(rd.GetString(3), null, System.Globalization.DateTimeStyles.RoundtripKind),
                    Mountpoint = DataDir(name),
                    UsedBy = users.TryGetValue(name, out var u) ? u.ToArray() : Array.Empty<string>(),
                });
            }
        }
        return list;
    }
}
