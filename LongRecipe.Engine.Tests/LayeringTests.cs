using System.Reflection;
using System.Reflection.Emit;
using LongRecipe.Engine.Torch;

namespace LongRecipe.Engine.Tests;

/// <summary>
/// The engine is a stack of folders (one namespace each) in which nothing refers upward or sideways: every
/// type, signature and method body of the engine's assembly is read, and each reference to another folder
/// must go to a lower layer. Peers (one line below) do not refer to each other.
/// </summary>
public class LayeringTests
{
    private const string Root = "LongRecipe.Engine";

    /// <summary>The layers, bottom first; README.md's Layout lists the folders in this order.</summary>
    private static readonly string[][] Layers =
    [
        ["Torch"],
        ["IO", "Randomness"],
        ["Events", "Optim", "SafeTensors"],
        ["Model"],
        ["Tokenization", "Positions"],
        ["Corpora"],
        ["Training", "Evaluation", "Analysis", "Merging"],
        ["RopeSearch"],
        ["Recipes"],
        ["Runs"],
        ["Experiments"],
    ];

    private static readonly Assembly Engine = typeof(Tensor).Assembly;

    [Fact]
    public void No_folder_refers_to_a_higher_layer_or_to_a_peer()
    {
        var layer = Layers.SelectMany((folders, i) => folders.Select(f => (f, i))).ToDictionary(p => p.f, p => p.i);
        var wrong = Engine.GetTypes()
            .Where(t => Folder(t) is not null)
            .SelectMany(t => References(t).Select(r => (From: t, To: r)))
            .Where(p => Folder(p.To) is { } to && to != Folder(p.From) && layer[to] >= layer[Folder(p.From)!])
            .Select(p => $"{Folder(p.From)} → {Folder(p.To)}: {p.From.FullName} uses {p.To.FullName}")
            .Distinct()
            .Order()
            .ToList();
        Assert.True(wrong.Count == 0, string.Join("\n", wrong));
    }

    [Fact]
    public void Every_folder_of_the_engine_has_a_layer()
    {
        var placed = Layers.SelectMany(l => l).ToHashSet();
        var folders = Engine.GetTypes().Select(Folder).OfType<string>().ToHashSet();
        Assert.Empty(folders.Except(placed));
        Assert.Empty(placed.Except(folders));
    }

    [Fact]
    public void The_scan_finds_references_made_only_inside_method_bodies()
    {
        Assert.Contains(typeof(Device), References(typeof(BodyOnly)));
        Assert.Contains(typeof(TorchRuntime), References(typeof(BodyOnly)));
    }

    private sealed class BodyOnly
    {
        public override string ToString() => Device.Cpu.ToString() + TorchRuntime.Threads;
    }

    /// <summary>The engine folder a type belongs to: the namespace segment after LongRecipe.Engine (null outside it).</summary>
    private static string? Folder(Type type)
    {
        var ns = type.Namespace;
        if (ns is null || !ns.StartsWith(Root + ".", StringComparison.Ordinal)) return null;
        return ns[(Root.Length + 1)..].Split('.')[0];
    }

    // ---- what a type refers to: its declarations, then the tokens in its method bodies ----

    private const BindingFlags Declared =
        BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly;

    private static IEnumerable<Type> References(Type type)
    {
        var found = new List<Type>();
        if (type.BaseType is { } baseType) found.Add(baseType);
        found.AddRange(type.GetInterfaces());
        found.AddRange(type.GetFields(Declared).Select(f => f.FieldType));
        found.AddRange(type.GetProperties(Declared).Select(p => p.PropertyType));
        foreach (var method in type.GetMethods(Declared).Cast<MethodBase>().Concat(type.GetConstructors(Declared)))
        {
            if (method is MethodInfo info) found.Add(info.ReturnType);
            found.AddRange(method.GetParameters().Select(p => p.ParameterType));
            found.AddRange(BodyReferences(method));
        }
        return found.SelectMany(Unwrap).Distinct();
    }

    /// <summary>A type and those it is built from: array elements, by-ref targets, generic arguments.</summary>
    private static IEnumerable<Type> Unwrap(Type type)
    {
        if (type.HasElementType) return Unwrap(type.GetElementType()!);
        if (type.IsGenericParameter) return [];
        return type.IsGenericType ? type.GetGenericArguments().SelectMany(Unwrap).Prepend(type.GetGenericTypeDefinition()) : [type];
    }

    private static readonly Dictionary<short, OpCode> OpCodesByValue = typeof(OpCodes)
        .GetFields(BindingFlags.Public | BindingFlags.Static)
        .Select(f => (OpCode)f.GetValue(null)!)
        .ToDictionary(o => o.Value);

    /// <summary>The types named by the tokens of the method's IL: fields, methods and types it uses.</summary>
    private static IEnumerable<Type> BodyReferences(MethodBase method)
    {
        var il = method.GetMethodBody()?.GetILAsByteArray();
        if (il is null) yield break;
        var typeArguments = method.DeclaringType!.IsGenericType ? method.DeclaringType.GetGenericArguments() : null;
        var methodArguments = method.IsGenericMethod ? method.GetGenericArguments() : null;
        for (var at = 0; at < il.Length;)
        {
            short value = il[at] == 0xFE ? (short)(0xFE00 | il[at + 1]) : il[at];
            var op = OpCodesByValue[value];
            at += op.Size;
            if (op.OperandType is OperandType.InlineField or OperandType.InlineMethod or OperandType.InlineType or OperandType.InlineTok)
            {
                var member = method.Module.ResolveMember(BitConverter.ToInt32(il, at), typeArguments, methodArguments)!;
                yield return member as Type ?? member.DeclaringType!;
                if (member is MethodInfo { IsGenericMethod: true } generic)
                    foreach (var argument in generic.GetGenericArguments()) yield return argument;
            }
            at += OperandSize(op, il, at);
        }
    }

    private static int OperandSize(OpCode op, byte[] il, int at) => op.OperandType switch
    {
        OperandType.InlineNone => 0,
        OperandType.ShortInlineBrTarget or OperandType.ShortInlineI or OperandType.ShortInlineVar => 1,
        OperandType.InlineVar => 2,
        OperandType.InlineI8 or OperandType.InlineR => 8,
        OperandType.InlineSwitch => 4 + 4 * BitConverter.ToInt32(il, at),
        _ => 4,
    };
}
