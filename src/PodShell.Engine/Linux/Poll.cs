using System.Runtime.InteropServices;
using Tmds.Linux;

namespace PodShell.Engine.Linux;

/// <summary>poll(2) on one descriptor, for the pipes, fifos and the terminal that are read with a timeout.</summary>
internal static unsafe class Poll
{
    // Own import: Tmds.LibC 0.5.0 declares poll without SetLastError, so LibC.errno after it would be a stale value
    // and an EINTR (retry) could not be told from a real failure.
    [DllImport("libc", EntryPoint = "poll", SetLastError = true)] private static extern int poll_(pollfd* fds, nuint nfds, int timeout);

    /// <summary>Waits up to <paramref name="timeoutMs"/> for <paramref name="events"/> on <paramref name="fd"/>:
    /// 1 with the events that came in <paramref name="revents"/>, 0 on timeout, -1 with errno set.</summary>
    public static int One(int fd, short events, int timeoutMs, out short revents)
    {
        var p = new pollfd { fd = fd, events = events };
        int n = poll_(&p, 1, timeoutMs);
        revents = p.revents;
        return n;
    }
}
