using System.Management.Automation;

namespace PodShell;

/// <summary>Lets -Image take a ContainerImage object (Get-ContainerImage output) as well as a name.</summary>
public sealed class ImageTransformationAttribute : ArgumentTransformationAttribute
{
    public override object Transform(EngineIntrinsics engineIntrinsics, object inputData)
    {
        var o = inputData is PSObject ps ? ps.BaseObject : inputData;
        return o is ContainerImage img ? img.Id : inputData;
    }
}

/// <summary>Lets a container parameter take a Container object as well as a name or id.</summary>
public sealed class ContainerTransformationAttribute : ArgumentTransformationAttribute
{
    public override object Transform(EngineIntrinsics engineIntrinsics, object inputData)
    {
        var o = inputData is PSObject ps ? ps.BaseObject : inputData;
        return o is Container c ? c.Id : inputData;
    }
}
