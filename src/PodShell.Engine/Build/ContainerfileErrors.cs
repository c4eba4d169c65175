namespace PodShell.Engine.Build;

/// <summary>The parser's two ErrorIds, with the file and line in the message: a user fixes a Containerfile
/// in an editor, and "file:line:" is what editors and terminals link to.</summary>
internal static class ContainerfileErrors
{
    public static PodShellException Syntax(string file, int line, string message) =>
        new PodShellException(ErrorIds.ContainerfileSyntaxError, FailureKind.InvalidArgument, $"{file}:{line}: {message}", file);

    public static PodShellException UnknownInstruction(string file, int line, string keyword) =>
        new PodShellException(ErrorIds.ContainerfileUnknownInstruction, FailureKind.InvalidArgument,
            $"{file}:{line}: unknown instruction '{keyword}'", file);
}
