using Microsoft.Data.Sqlite;

namespace PodShell.Engine.Containers;

/// <summary>The one definition of the engine's SQLite schema and its version (PRAGMA user_version). A database of
/// an older version is brought up to <see cref="Version"/> when it is opened, by the migrations in
/// <see cref="StoreMigrations"/>, all in one BEGIN IMMEDIATE transaction: a second process opening the file at the
/// same moment waits for the write lock, reads the new version and does nothing. A database of a newer version
/// (written by a newer PodShell) is refused with StoreSchemaTooNew rather than misread. How to add a migration:
/// design.md, "The store".</summary>
internal static class StoreSchema
{
    /// <summary>The version this code writes. Version 0 is every store made before versions existed.</summary>
    public const int Version = 1;

    /// <summary>The tables as version 0 made them (CREATE TABLE IF NOT EXISTS, so a version-0 file that lacks some,
    /// because the engine that wrote it never used volumes or networks, gets them). Never change this text: a
    /// change of a table is a migration.</summary>
    private const string Version0Tables = """
        CREATE TABLE IF NOT EXISTS images (
            id TEXT PRIMARY KEY,
            data TEXT NOT NULL,
            created TEXT NOT NULL);
        CREATE TABLE IF NOT EXISTS image_names (
            name TEXT PRIMARY KEY,
            image_id TEXT NOT NULL REFERENCES images(id) ON DELETE CASCADE);
        CREATE TABLE IF NOT EXISTS layers (
            id TEXT PRIMARY KEY,
            diff_id TEXT NOT NULL,
            parent TEXT,
            size INTEGER NOT NULL,
            created TEXT NOT NULL);
        CREATE TABLE IF NOT EXISTS containers (
            id TEXT PRIMARY KEY,
            name TEXT NOT NULL UNIQUE,
            state TEXT NOT NULL,
            image_id TEXT NOT NULL,
            owner_pid INTEGER NOT NULL DEFAULT 0,
            owner_start INTEGER NOT NULL DEFAULT 0,
            conmon_pid INTEGER NOT NULL DEFAULT 0,
            pid_start INTEGER NOT NULL DEFAULT 0,
            data TEXT NOT NULL);
        CREATE TABLE IF NOT EXISTS volumes (
            name TEXT PRIMARY KEY,
            driver TEXT NOT NULL,
            labels TEXT NOT NULL,
            created TEXT NOT NULL,
            created_by TEXT);
        CREATE TABLE IF NOT EXISTS volume_users (
            volume TEXT NOT NULL,
            container_id TEXT NOT NULL,
            PRIMARY KEY (volume, container_id));
        CREATE TABLE IF NOT EXISTS networks (
            name TEXT PRIMARY KEY,
            id TEXT NOT NULL UNIQUE,
            bridge TEXT NOT NULL UNIQUE,
            subnet TEXT NOT NULL,
            json TEXT NOT NULL);
        CREATE TABLE IF NOT EXISTS network_addresses (
            network TEXT NOT NULL,
            ip TEXT NOT NULL,
            container_id TEXT NOT NULL,
            PRIMARY KEY (network, ip));
        """;

    // volume_users holds no foreign key to containers: rows of a container whose record vanished (a crash between
    // steps) are ignored by VolumeStore's joins and swept by its Remove, instead of making the order of inserts
    // matter to callers.

    /// <summary>Brings the database on <paramref name="c"/> to <see cref="Version"/>; a no-op read when it is.</summary>
    public static void Upgrade(SqliteConnection c)
    {
        var found = ReadVersion(c, null);
        if (found == Version) return;
        if (found > Version) throw TooNew(c, found);
        using var tx = c.BeginTransaction(); // Microsoft.Data.Sqlite: BEGIN IMMEDIATE, the write lock
        found = ReadVersion(c, tx);          // another process may have migrated while this one waited
        if (found > Version) throw TooNew(c, found);
        if (found == Version) return;
        if (found == 0) Execute(c, tx, Version0Tables);
        foreach (var m in StoreMigrations.All)
            if (m.To > found) m.Apply(c, tx);
        Execute(c, tx, $"PRAGMA user_version={Version};");
        tx.Commit();
    }

    internal static int ReadVersion(SqliteConnection c, SqliteTransaction? tx)
    {
        using var cmd = c.CreateCommand();
        cmd.Transaction = tx;
        cmd.CommandText = "PRAGMA user_version;";
        return Convert.ToInt32(cmd.ExecuteScalar());
    }

    internal static void Execute(SqliteConnection c, SqliteTransaction? tx, string sql)
    {
        using var cmd = c.CreateCommand();
        cmd.Transaction = tx;
        cmd.CommandText = sql;
        cmd.ExecuteNonQuery();
    }

    private static PodShellException TooNew(SqliteConnection c, int found) =>
        new(ErrorIds.StoreSchemaTooNew, FailureKind.NotSupported,
            $"The store {c.DataSource} has schema version {found}, written by a newer PodShell; this one knows versions up to {Version}. Use the newer PodShell, or give this one a graph root of its own (PODSHELL_GRAPHROOT).",
            c.DataSource);
}
