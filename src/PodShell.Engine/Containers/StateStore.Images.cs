using System.Text.Json;
using Microsoft.Data.Sqlite;

namespace PodShell.Engine.Containers;

/// <summary>Images, their names and layers in the store.</summary>
public sealed partial class StateStore
{
    // ---- images and layers ---------------------------------------------------------------

    /// <summary>Record an image and give it its names; a name held by another image moves to this one
    /// (as `podman tag` does), all in one transaction.</summary>
    public void PutImage(ContainerImage image)
    {
        using var c = Open();
        using var tx = c.BeginTransaction();
        using (var cmd = c.CreateCommand())
        {
            cmd.Transaction = tx;
            cmd.CommandText = "INSERT INTO images(id,data,created) VALUES($id,$data,$created) ON CONFLICT(id) DO NOTHING";
            cmd.Parameters.AddWithValue("$id", image.Id);
            cmd.Parameters.AddWithValue("$data", JsonSerializer.Serialize(image, ImageJson));
            cmd.Parameters.AddWithValue("$created", image.Created.ToString("O"));
            cmd.ExecuteNonQuery();
        }
        foreach (var name in image.Names)
        {
            using var cmd = c.CreateCommand();
            cmd.Transaction = tx;
            cmd.CommandText = "INSERT INTO image_names(name,image_id) VALUES($n,$i) ON CONFLICT(name) DO UPDATE SET image_id=$i";
            cmd.Parameters.AddWithValue("$n", name);
            cmd.Parameters.AddWithValue("$i", image.Id);
            cmd.ExecuteNonQuery();
        }
        tx.Commit();
    }

    public List<ContainerImage> ListImages()
    {
        using var c = Open();
        var names = new Dictionary<string, List<string>>();
        using (var cmd = c.CreateCommand())
        {
            cmd.CommandText = "SELECT name,image_id FROM image_names ORDER BY rowid";
            using var rd = cmd.ExecuteReader();
            while (rd.Read())
            {
                var id = rd.GetString(1);
                if (!names.TryGetValue(id, out var l)) names[id] = l = new List<string>();
                l.Add(rd.GetString(0));
            }
        }
        var list = new List<ContainerImage>();
        using (var cmd = c.CreateCommand())
        {
            cmd.CommandText = "SELECT data FROM images ORDER BY rowid";
            using var rd = cmd.ExecuteReader();
            while (rd.Read())
            {
                var img = JsonSerializer.Deserialize(rd.GetString(0), ImageJson)!;
                // image_names is the truth for names: a tag may have moved to a newer image.
                img.Names = names.TryGetValue(img.Id, out var n) ? n.ToArray() : Array.Empty<string>();
                list.Add(img);
            }
        }
        return list;
    }

    /// <summary>Give an image one more name; a name held by another image moves here (podman tag).</summary>
    public void AddImageName(string name, string imageId)
    {
        using var c = Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = "INSERT INTO image_names(name,image_id) VALUES($n,$i) ON CONFLICT(name) DO UPDATE SET image_id=$i";
        cmd.Parameters.AddWithValue("$n", name);
        cmd.Parameters.AddWithValue("$i", imageId);
        cmd.ExecuteNonQuery();
    }

    public bool RemoveImageName(string name)
    {
        using var c = Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = "DELETE FROM image_names WHERE name=$n";
        cmd.Parameters.AddWithValue("$n", name);
        return cmd.ExecuteNonQuery() > 0;
    }

    /// <summary>podman rmi's step in one transaction: the containers that use the image, and (when there are none,
    /// or <paramref name="force"/>) the image and its names deleted. A create that checks the image in its own
    /// transaction (<see cref="InsertContainer"/>) is therefore either in the returned list or refused. Returns
    /// the users; the image is left alone when there are users and no force.</summary>
    public List<ContainerRecord> DeleteImageTakingUsers(string id, bool force)
    {
        using var c = Open();
        using var tx = c.BeginTransaction();
        List<ContainerRecord> users;
        using (var cmd = c.CreateCommand())
        {
            cmd.Transaction = tx;
            cmd.CommandText = "SELECT owner_pid,owner_start,conmon_pid,pid_start,data FROM containers WHERE image_id=$id ORDER BY rowid";
            cmd.Parameters.AddWithValue("$id", id);
            users = ReadRecords(cmd);
        }
        if (users.Count > 0 && !force) return users;
        using (var cmd = c.CreateCommand())
        {
            cmd.Transaction = tx;
            cmd.CommandText = "DELETE FROM image_names WHERE image_id=$id; DELETE FROM images WHERE id=$id;";
            cmd.Parameters.AddWithValue("$id", id);
            cmd.ExecuteNonQuery();
        }
        tx.Commit();
        return users;
    }

    public void DeleteImage(string id)
    {
        using var c = Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = "DELETE FROM image_names WHERE image_id=$id; DELETE FROM images WHERE id=$id;";
        cmd.Parameters.AddWithValue("$id", id);
        cmd.ExecuteNonQuery();
    }

    public void PutLayer(string id, string diffId, string? parent, long size)
    {
        using var c = Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = "INSERT INTO layers(id,diff_id,parent,size,created) VALUES($id,$d,$p,$s,$c) ON CONFLICT(id) DO NOTHING";
        cmd.Parameters.AddWithValue("$id", id);
        cmd.Parameters.AddWithValue("$d", diffId);
        cmd.Parameters.AddWithValue("$p", (object?)parent ?? DBNull.Value);
        cmd.Parameters.AddWithValue("$s", size);
        cmd.Parameters.AddWithValue("$c", DateTime.UtcNow.ToString("O"));
        cmd.ExecuteNonQuery();
    }

    public (string DiffId, string? Parent, long Size)? GetLayer(string id)
    {
        using var c = Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = "SELECT diff_id,parent,size FROM layers WHERE id=$id";
        cmd.Parameters.AddWithValue("$id", id);
        using var rd = cmd.ExecuteReader();
        if (!rd.Read()) return null;
        return (rd.GetString(0), rd.IsDBNull(1) ? null : rd.GetString(1), rd.GetInt64(2));
    }

    /// <summary>Layers no image refers to any more (so removing an image can drop them).</summary>
    public List<string> UnreferencedLayers()
    {
        var used = new HashSet<string>();
        foreach (var img in ListImages()) used.UnionWith(img.Layers);
        using var c = Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = "SELECT id FROM layers";
        var all = new List<string>();
        using var rd = cmd.ExecuteReader();
        while (rd.Read()) all.Add(rd.GetString(0));
        return all.Where(l => !used.Contains(l)).ToList();
    }

    public List<string> LayerIds()
    {
        using var c = Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = "SELECT id FROM layers";
        var all = new List<string>();
        using var rd = cmd.ExecuteReader();
        while (rd.Read()) all.Add(rd.GetString(0));
        return all;
    }

    public void DeleteLayer(string id)
    {
        using var c = Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = "DELETE FROM layers WHERE id=$id";
        cmd.Parameters.AddWithValue("$id", id);
        cmd.ExecuteNonQuery();
    }
}
