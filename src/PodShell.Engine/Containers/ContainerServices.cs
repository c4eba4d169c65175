using PodShell.Engine.Bundle;

namespace PodShell.Engine.Containers;

/// <summary>The container services of one engine, made once and wired bottom-up (each gets only those below it):
/// locks → rootfs → cleanup → reconciler → run-root refresh → handles → bundle → creation, lifecycle, control, waiter
/// → exec, logs, files, commit, inspect, stats. The other areas come in through the seams (ContainerSeams.cs).</summary>
internal sealed class ContainerServices
{
    public ContainerLocks Locks { get; }
    public ContainerRootfs Rootfs { get; }
    public ContainerCleanup Cleanup { get; }
    public ContainerReconciler Reconciler { get; }
    public RunRootRefresh RunRoot { get; }
    public ContainerHandles Handles { get; }
    public BundleWriter Bundle { get; }
    public ContainerCreation Creation { get; }
    public ContainerLifecycle Lifecycle { get; }
    public ContainerControl Control { get; }
    public ContainerWaiter Waiter { get; }
    public ExecService Exec { get; }
    public LogService Logs { get; }
    public ContainerFiles Files { get; }
    public CommitService Commit { get; }
    public InspectService Inspect { get; }
    public StatsService Stats { get; }

    public ContainerServices(EngineContext ctx, IContainerNetworking network, IContainerVolumes volumes, IContainerImages images)
    {
        Locks = new ContainerLocks(ctx);
        Rootfs = new ContainerRootfs(ctx, Locks, images);
        Cleanup = new ContainerCleanup(ctx, Locks, Rootfs, network, volumes);
        Reconciler = new ContainerReconciler(ctx, Locks, Rootfs, Cleanup, network);
        RunRoot = new RunRootRefresh(ctx, Rootfs, network);
        Handles = new ContainerHandles(ctx, Locks, Reconciler, RunRoot, images);
        Bundle = new BundleWriter(ctx, Rootfs, network, volumes);
        Creation = new ContainerCreation(ctx, Locks, Rootfs, Cleanup, Bundle, images, network);
        Lifecycle = new ContainerLifecycle(ctx, Handles, Locks, Rootfs, Cleanup, Bundle, network);
        Control = new ContainerControl(ctx, Handles, Lifecycle);
        Waiter = new ContainerWaiter(Handles);
        Exec = new ExecService(ctx, Handles, Rootfs);
        Logs = new LogService(ctx, Handles);
        Files = new ContainerFiles(ctx, Handles, Rootfs, images);
        Commit = new CommitService(ctx, Handles, Files, images);
        Inspect = new InspectService(ctx, Handles, images);
        Stats = new StatsService(ctx, Handles, Rootfs);
    }
}
