namespace PodShell.Engine.Images.Registry;

/// <summary>A user name and password (or token) for a registry, from the cmdlet's -Credential.</summary>
public sealed record RegistryCredentials(string UserName, string Password)
{
    public override string ToString() => UserName;
}
