namespace PodShell;

/// <summary>One program on the host that the module starts (Test-ContainerHost): whether this host has it, where,
/// which version, and the Debian package that brings it.</summary>
public sealed class HostRequirement
{
    /// <summary>The program's file name as the engine looks it up (runc, conmon, netavark, newuidmap...).</summary>
    public string Name { get; set; } = "";
    /// <summary>Found; Missing; or Alternative: not here, but a program that does the same job is (crun for runc).</summary>
    public string Status { get; set; } = "";
    /// <summary>The version the program reports (its --version), when it has one; null when missing or silent.</summary>
    public string? Version { get; set; }
    /// <summary>Where the engine finds it; null when missing.</summary>
    public string? Path { get; set; }
    /// <summary>The Debian package to install when it is missing.</summary>
    public string Package { get; set; } = "";
    /// <summary>What it is for: Containers, Init, Networks or Rootless.</summary>
    public string Feature { get; set; } = "";
    /// <summary>What needs it, in a sentence.</summary>
    public string NeededFor { get; set; } = "";

    public bool IsMissing => Status == HostRequirementStatus.Missing;

    public override string ToString() => $"{Name}: {Status}";
}

/// <summary>The values of <see cref="HostRequirement.Status"/>: strings, so they survive serialization as themselves.</summary>
public static class HostRequirementStatus
{
    public const string Found = "Found";
    public const string Missing = "Missing";
    public const string Alternative = "Alternative";
}
