using Microsoft.Win32.SafeHandles;
using Tmds.Linux;

namespace PodShell.Engine.Linux;

/// <summary>Opens a path inside a container's root as a descriptor, never by a host path string: the root is
/// opened once, and every component is looked up relative to the descriptor of the one before, so a directory the
/// container swaps for a symlink between our check and our use can never lead to a host file (the string
/// resolution of <c>Layers/RootPath</c> followed by an open of the host path could, issue 15).
/// openat2(2) with RESOLVE_IN_ROOT|RESOLVE_NO_MAGICLINKS does it in the kernel (5.6 and later): absolute symlinks
/// and ".." stay in the root, /proc magic links are refused. Where the kernel answers ENOSYS the same walk is done
/// here, one O_PATH|O_NOFOLLOW descriptor per component, symlinks read with readlinkat and resolved against the
/// root, ".." taken from the chain of descriptors already opened (never from the file system), so it cannot leave
/// the root either.</summary>
internal static class RootedPath
{
    /// <summary>Same bound as the kernel's (MAXSYMLINKS).</summary>
    public const int MaxSymlinks = 40;

    internal const int O_RDONLY = 0;
    internal const int O_WRONLY = 1;
    internal const int O_CREAT = 0x40;
    internal const int O_EXCL = 0x80;
    internal const int O_NOCTTY = 0x100;
    internal const int O_TRUNC = 0x200;
    internal const int O_NONBLOCK = 0x800;
    internal const int O_DIRECTORY = 0x10000;
    internal const int O_NOFOLLOW = 0x20000;
    internal const int O_CLOEXEC = 0x80000;
    internal const int O_PATH = 0x200000;

    internal const int ENOENT = 2;
    internal const int EBADF = 9;
    internal const int EAGAIN = 11;
    internal const int EEXIST = 17;
    internal const int ENOTDIR = 20;
    internal const int EISDIR = 21;
    internal const int EINVAL = 22;
    internal const int ENOSYS = 38;
    internal const int ELOOP = 40;
    internal const int EXDEV = 18;

    // openat2 through Tmds.LibC (its syscall(2) with __NR_openat2 and struct open_how); names go to the kernel as
    // the bytes they stand for (IO.FileName), not re-encoded UTF-8.
    private static unsafe int openat2_(int dirfd, string path, open_how how)
    {
        fixed (byte* p = PodShell.Engine.IO.FileName.ToNative(path)) return LibC.openat2(dirfd, p, &how, sizeof(open_how));
    }

    private static unsafe int openat_(int dirfd, string path, int flags, uint mode)
    {
        fixed (byte* p = PodShell.Engine.IO.FileName.ToNative(path)) return LibC.openat(dirfd, p, flags, (ushort)mode);
    }

    /// <summary>Tests set it to exercise the descriptor walk on a kernel that has openat2 (per thread, so tests
    /// running in parallel do not change each other's mode).</summary>
    [ThreadStatic] internal static bool ForceWalk;

    // 0 not yet known, 1 openat2 works, -1 the kernel (or a seccomp filter) answers ENOSYS.
    private static int s_openat2;

    /// <summary>Opens <paramref name="root"/> (a path the engine made, e.g. the merged directory) as an O_PATH
    /// directory descriptor, the anchor of every lookup below it.</summary>
    public static SafeFileHandle OpenRoot(string root)
    {
        int fd = openat_(-100, root, O_PATH | O_DIRECTORY | O_CLOEXEC, 0);
        if (fd < 0)
        {
            int errno = Errno.Last;
            throw new IOException($"open({root}): {Errno.Describe(errno)}", errno);
        }
        return new SafeFileHandle(fd, ownsHandle: true);
    }

    /// <summary>Opens <paramref name="pathInside"/> as if <paramref name="root"/> were "/". Returns 0 and an
    /// O_PATH descriptor, or the errno (ENOENT, ENOTDIR, ELOOP, ...). A symlink in the last component is followed
    /// only with <paramref name="followFinal"/>; without it the descriptor is the link itself.</summary>
    public static int TryOpen(SafeFileHandle root, string pathInside, bool followFinal, out SafeFileHandle? handle)
    {
        handle = null;
        if (!ForceWalk && s_openat2 >= 0)
        {
            var how = new open_how
            {
                flags = (ulong)(O_PATH | O_CLOEXEC | (followFinal ? 0 : O_NOFOLLOW)),
                resolve = LibC.RESOLVE_IN_ROOT | LibC.RESOLVE_NO_MAGICLINKS,
            };
            string path = pathInside.Length == 0 ? "." : pathInside;
            bool added = false;
            try
            {
                root.DangerousAddRef(ref added);
                // EAGAIN: a rename somewhere raced a ".." lookup and the kernel could not prove the walk stayed
                // inside; it asks to try again. After a few tries the walk below answers instead.
                for (int attempt = 0; attempt < 8; attempt++)
                {
                    int fd = openat2_((int)root.DangerousGetHandle(), path, how);
                    if (fd >= 0)
                    {
                        s_openat2 = 1;
                        handle = new SafeFileHandle(fd, ownsHandle: true);
                        return 0;
                    }
                    int errno = Errno.Last;
                    if (errno == ENOSYS) { s_openat2 = -1; break; }
                    if (errno != EAGAIN) return errno;
                }
            }
            finally
            {
                if (added) root.DangerousRelease();
            }
        }
        return Walk(root, pathInside, followFinal, out handle);
    }

    /// <summary><see cref="TryOpen"/>, throwing an IOException carrying the errno (HResult) on failure.</summary>
    public static SafeFileHandle Open(SafeFileHandle root, string pathInside, bool followFinal)
    {
        int errno = TryOpen(root, pathInside, followFinal, out var handle);
        if (errno != 0) throw new IOException($"{pathInside}: {Errno.Describe(errno)}", errno);
        return handle!;
    }

    /// <summary>The component walk: the fallback for kernels without openat2, and the reference the tests hold
    /// openat2 to.</summary>
    internal static int Walk(SafeFileHandle root, string pathInside, bool followFinal, out SafeFileHandle? handle)
    {
        handle = null;
        // The resolved chain below the root, innermost last: ".." pops it, an absolute link empties it.
        var chain = new List<SafeFileHandle>();
        // Components still to walk, front at the end of the list so that pushing a link's target is cheap.
        var pending = new List<string>();
        PushFront(pending, pathInside);
        int links = 0;
        try
        {
            while (pending.Count > 0)
            {
                string part = pending[^1];
                pending.RemoveAt(pending.Count - 1);
                if (part.Length == 0 || part == ".") continue;
                if (part == "..")
                {
                    if (chain.Count > 0) { chain[^1].Dispose(); chain.RemoveAt(chain.Count - 1); }
                    continue;
                }
                bool last = !pending.Exists(p => p.Length > 0 && p != ".");
                var dir = chain.Count == 0 ? root : chain[^1];
                int errno = OpenAt(dir, part, O_PATH | O_NOFOLLOW | O_CLOEXEC, out var next);
                if (errno != 0) return errno;
                var st = DirectoryHandle.StatusOf(next!);
                if (st.IsSymlink && (!last || followFinal))
                {
                    string target;
                    try { target = DirectoryHandle.ReadLink(next!, ""); }
                    finally { next!.Dispose(); }
                    if (++links > MaxSymlinks) return ELOOP;
                    if (target.StartsWith('/'))
                    {
                        foreach (var h in chain) h.Dispose();
                        chain.Clear();
                    }
                    PushFront(pending, target);
                    continue;
                }
                if (!last && !st.IsDirectory)
                {
                    next!.Dispose();
                    return ENOTDIR;
                }
                chain.Add(next!);
            }
            if (chain.Count == 0) return OpenAt(root, ".", O_PATH | O_DIRECTORY | O_CLOEXEC, out handle);
            handle = chain[^1];
            chain.RemoveAt(chain.Count - 1);
            return 0;
        }
        finally
        {
            foreach (var h in chain) h.Dispose();
        }
    }

    /// <summary>The regular file <paramref name="pathInside"/> of the root (links followed inside it), read whole
    /// through its descriptor; null when it is missing or no regular file. For the small files the engine reads
    /// from a running container (/etc/passwd, /etc/group).</summary>
    public static string? ReadFile(string root, string pathInside)
    {
        using var rootFd = OpenRoot(root);
        if (TryOpen(rootFd, pathInside, followFinal: true, out var h) != 0) return null;
        using (h)
        {
            if (!DirectoryHandle.StatusOf(h!).IsRegularFile) return null;
            return File.ReadAllText($"/proc/self/fd/{(int)h!.DangerousGetHandle()}");
        }
    }

    /// <summary>True when <paramref name="pathInside"/> resolves inside the root to a regular file.</summary>
    public static bool IsFile(string root, string pathInside)
    {
        using var rootFd = OpenRoot(root);
        if (TryOpen(rootFd, pathInside, followFinal: true, out var h) != 0) return false;
        using (h) return DirectoryHandle.StatusOf(h!).IsRegularFile;
    }

    /// <summary>lstat of <paramref name="relative"/> below the directory <paramref name="top"/>, following no symlink
    /// on the way (a link or a non-directory in the middle answers null, as a missing path does).</summary>
    public static FileStatusInfo? LStatBeneath(string top, string relative)
    {
        int errno = OpenAt(new SafeFileHandle(-100, ownsHandle: false), top, O_PATH | O_DIRECTORY, out var dir);
        if (errno != 0) return null;
        var parts = relative.Split('/', StringSplitOptions.RemoveEmptyEntries);
        try
        {
            for (int i = 0; i < parts.Length; i++)
            {
                if (parts[i] is "." or "..") return null;
                bool last = i == parts.Length - 1;
                errno = OpenAt(dir!, parts[i], O_PATH | O_NOFOLLOW | (last ? 0 : O_DIRECTORY), out var next);
                if (errno != 0) return null;
                dir!.Dispose();
                dir = next;
            }
            return DirectoryHandle.StatusOf(dir!);
        }
        finally { dir?.Dispose(); }
    }

    /// <summary>openat(2) relative to a descriptor: 0 and the new descriptor, or the errno.</summary>
    internal static int OpenAt(SafeFileHandle dir, string name, int flags, out SafeFileHandle? handle, uint mode = 0)
    {
        handle = null;
        bool added = false;
        try
        {
            dir.DangerousAddRef(ref added);
            int fd = openat_((int)dir.DangerousGetHandle(), name, flags | O_CLOEXEC, mode);
            if (fd < 0) return Errno.Last;
            handle = new SafeFileHandle(fd, ownsHandle: true);
            return 0;
        }
        finally
        {
            if (added) dir.DangerousRelease();
        }
    }

    private static void PushFront(List<string> pending, string path)
    {
        string[] parts = path.Split('/');
        for (int i = parts.Length - 1; i >= 0; i--) pending.Add(parts[i]);
    }
}
