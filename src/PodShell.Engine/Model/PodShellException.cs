namespace PodShell.Engine;

/// <summary>What kind of failure, so the cmdlet layer can pick an ErrorCategory without parsing text.</summary>
public enum FailureKind
{
    NotFound,
    AlreadyExists,
    InvalidArgument,
    InvalidState,
    PermissionDenied,
    ResourceBusy,
    RuntimeFailed,
    NotSupported,
    Cancelled,
}

/// <summary>An engine failure with a stable ErrorId (e.g. "ContainerNotFound") that the cmdlets turn
/// into an ErrorRecord, and the object it concerns.</summary>
public class PodShellException : Exception
{
    public string ErrorId { get; }
    public FailureKind Kind { get; }
    public object? Target { get; }

    public PodShellException(string errorId, FailureKind kind, string message, object? target = null, Exception? inner = null)
        : base(message, inner)
    {
        ErrorId = errorId;
        Kind = kind;
        Target = target;
    }
}
