using PodShell.Engine.Linux;

namespace PodShell.Engine.Overlay;

/// <summary>The extended attribute that marks an opaque directory in an overlay upper or layer dir. A mount made by
/// root reads trusted.overlay.*; a rootless mount (option userxattr) reads user.overlay.* instead.</summary>
internal static class OverlayXattr
{
    public const string Opaque = "trusted.overlay.opaque";
    public const string UserOpaque = "user.overlay.opaque";

    /// <summary>The name a store writes: trusted for root's, user for an unprivileged (userxattr) one.</summary>
    public static string OpaqueFor(bool unprivileged) => unprivileged ? UserOpaque : Opaque;

    /// <summary>True when either marker says "y": readers do not need to know which kind of store wrote the dir.</summary>
    public static bool IsOpaque(string directory) =>
        (Xattr.Get(directory, Opaque) ?? Xattr.Get(directory, UserOpaque)) is { Length: > 0 } v && v[0] == (byte)'y';

    /// <summary>The same for a directory held open (a walk of a tree the container can change).</summary>
    public static bool IsOpaque(DirectoryHandle directory) =>
        (directory.GetXattr(Opaque) ?? directory.GetXattr(UserOpaque)) is { Length: > 0 } v && v[0] == (byte)'y';
}
