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

/// <summary>Binds the names of one noun (volumes, networks) from the pipeline without binding another noun's
/// name: the parameter takes its input by value only, and this turns each object into a name. An object of
/// the accepted type gives its Name; any object with a property named after the noun (VolumeName,
/// NetworkName) gives that; another PodShell object (a Container piped to Remove-ContainerVolume) is refused
/// with a clear error instead of binding its Name; a plain object (pscustomobject, a CSV row) gives its Name
/// as binding by property name did.</summary>
public sealed class NounNameTransformationAttribute : ArgumentTransformationAttribute
{
    private readonly Type _accepted;
    private readonly string _noun;
    private readonly string _getter;

    public NounNameTransformationAttribute(Type accepted, string noun, string getter)
    {
        _accepted = accepted;
        _noun = noun;
        _getter = getter;
    }

    private string AliasProperty => char.ToUpperInvariant(_noun[0]) + _noun[1..] + "Name";

    public override object Transform(EngineIntrinsics engineIntrinsics, object inputData)
    {
        var o = inputData is PSObject ps ? ps.BaseObject : inputData;
        if (o is string || o is null) return inputData;
        if (o is System.Collections.IList list && o is not System.Collections.IDictionary)
        {
            var names = new object[list.Count];
            for (var i = 0; i < list.Count; i++) names[i] = One(list[i]);
            return names;
        }
        return One(inputData);
    }

    private object One(object? item)
    {
        if (item is null) return null!;
        var ps = item as PSObject ?? PSObject.AsPSObject(item);
        var o = ps.BaseObject;
        if (o is string) return o;
        if (_accepted.IsInstanceOfType(o)) return ps.Properties["Name"]?.Value ?? item;
        if (ps.Properties[AliasProperty]?.Value is { } alias) return alias;
        // A PodShell object of another noun, live or deserialized from CLIXML: its Name is not a name of ours.
        var typeName = ps.TypeNames.FirstOrDefault(t => t.StartsWith("PodShell.", StringComparison.Ordinal)
            || t.StartsWith("Deserialized.PodShell.", StringComparison.Ordinal));
        if (typeName is not null && !typeName.EndsWith(_accepted.FullName!, StringComparison.Ordinal))
            throw new ArgumentTransformationMetadataException(
                $"A {typeName} is not a {_noun}: its Name would be taken as a {_noun} name. Pipe {_noun} objects from {_getter}, {_noun} names, or objects with a {AliasProperty} property.");
        if (ps.Properties["Name"]?.Value is { } name) return name;
        return item;
    }
}

/// <summary>Lets a label filter be a hashtable (@{ app = 'web' }) as well as 'key=value' or 'key' strings,
/// the forms of podman's --filter label=.</summary>
public sealed class LabelFilterTransformationAttribute : ArgumentTransformationAttribute
{
    public override object Transform(EngineIntrinsics engineIntrinsics, object inputData)
    {
        var o = inputData is PSObject ps ? ps.BaseObject : inputData;
        if (o is not System.Collections.IDictionary d) return inputData;
        var filters = new List<string>();
        foreach (System.Collections.DictionaryEntry e in d)
            filters.Add(e.Value is null ? $"{e.Key}" : $"{e.Key}={LanguagePrimitives.ConvertTo<string>(e.Value)}");
        return filters.ToArray();
    }
}
