using System.Security.Cryptography;
using System.Text;

namespace PodShell.Engine.Layers;

/// <summary>Layer ids: what a directory name under the store may be, and the chain id an image layer gets.</summary>
internal static class LayerId
{
    /// <summary>OCI image-spec config.md: ChainID(L0|..|Ln) = SHA256(ChainID(L0|..|Ln-1) + " " + DiffID(Ln)), both as
    /// "sha256:" digests; a base layer's chain id is its diff id. Hex, without the "sha256:".</summary>
    public static string Chain(string? parentChainIdHex, string diffId) =>
        parentChainIdHex is null ? diffId[7..]
            : Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes("sha256:" + parentChainIdHex + " " + diffId))).ToLowerInvariant();

    /// <summary>Letters, digits, '_', '-', '.', not starting with '.', and not the link directory's name.</summary>
    public static bool IsValid(string? id)
        => !string.IsNullOrEmpty(id) && id.Length <= 128 && id != "l" && id[0] != '.'
           && id.All(c => c is (>= 'a' and <= 'z') or (>= 'A' and <= 'Z') or (>= '0' and <= '9') or '_' or '-' or '.');

    public static void Check(string id)
    {
        if (!IsValid(id))
            throw new PodShellException(ErrorIds.InvalidLayerId, FailureKind.InvalidArgument,
                $"'{id}' is not a valid layer id (letters, digits, '_', '-', '.'; not starting with '.').", id);
    }
}
