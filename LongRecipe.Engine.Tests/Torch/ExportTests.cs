using LongRecipe.Engine.Tests.Support;
using System.Reflection;
using System.Runtime.InteropServices;
using System.Text.RegularExpressions;
using LongRecipe.Engine.Torch;
using LongRecipe.Engine.Torch.Interop;

namespace LongRecipe.Engine.Tests.Torch;

/// <summary>
/// The shim's contract with .NET, checked from its sources: every export that can fail goes
/// through LR_GUARD, every export is declared in C#, and every C# declaration resolves in the
/// built library.
/// </summary>
public partial class ExportTests
{
    /// <summary>The exports that cannot fail and so skip the guard.</summary>
    private static readonly string[] Unguarded = ["lr_cuda_graph_free", "lr_generator_free", "lr_last_error", "lr_tensor_free"];

    [GeneratedRegex(@"\bLR_(API|NOTHROW)\s+(?:[\w\s\*]*?\s)?\**(lr_\w+)\s*\(")]
    private static partial Regex ExportDefinition();

    private static string SourceFolder() => Repository.Path("LongRecipe.Engine", "native", "src");

    /// <summary>Each export in the shim's sources: its kind (API or NOTHROW), name, file, and the body's text.</summary>
    private static List<(string Kind, string Name, string File, string Body)> Exports()
    {
        var exports = new List<(string, string, string, string)>();
        foreach (var path in Directory.GetFiles(SourceFolder(), "*.cpp"))
        {
            var text = File.ReadAllText(path);
            foreach (Match m in ExportDefinition().Matches(text))
            {
                // Skip the parameter list (parentheses balanced), then the body follows its '{'.
                var i = m.Index + m.Length;
                for (var depth = 1; depth > 0; i++)
                    depth += text[i] switch { '(' => 1, ')' => -1, _ => 0 };
                var body = text[i..].TrimStart();
                Assert.True(body.StartsWith('{'), $"{m.Groups[2].Value} in {Path.GetFileName(path)} is declared, not defined");
                exports.Add((m.Groups[1].Value, m.Groups[2].Value, Path.GetFileName(path), body[1..].TrimStart()));
            }
        }
        return exports;
    }

    /// <summary>The entry points of every [LibraryImport] method of the Native class.</summary>
    private static Dictionary<string, MethodInfo> Declared() =>
        typeof(Native).GetMethods(BindingFlags.Static | BindingFlags.Public | BindingFlags.NonPublic)
            .Select(method => (method, import: method.GetCustomAttribute<LibraryImportAttribute>()))
            .Where(x => x.import != null)
            .ToDictionary(x => x.import!.EntryPoint ?? x.method.Name, x => x.method);

    [Fact]
    public void The_sources_hold_the_exports_this_test_expects()
    {
        var names = Exports().Select(e => e.Name).ToList();
        Assert.Equal(names.Count, names.Distinct().Count());
        // A few from each file, so a parser that finds nothing cannot pass.
        Assert.Contains("lr_matmul", names);
        Assert.Contains("lr_attention", names);
        Assert.Contains("lr_random", names);
        Assert.Contains("lr_tensor_from_data", names);
        Assert.Contains("lr_backward", names);
        Assert.Contains("lr_cat", names);
        Assert.Contains("lr_reduce", names);
        Assert.True(names.Count > 60, $"only {names.Count} exports found");
    }

    [Fact]
    public void Every_export_but_the_frees_and_the_error_accessor_is_guarded()
    {
        var exports = Exports();
        foreach (var (kind, name, file, body) in exports.Where(e => e.Kind == "API"))
            Assert.True(body.StartsWith("LR_GUARD(", StringComparison.Ordinal), $"{name} ({file}) does not begin with LR_GUARD(");
        Assert.Equal(Unguarded, exports.Where(e => e.Kind == "NOTHROW").Select(e => e.Name).Order());
    }

    [Fact]
    public void Every_export_is_declared_in_csharp()
    {
        var declared = Declared();
        foreach (var (_, name, file, _) in Exports())
            Assert.True(declared.ContainsKey(name), $"{name} ({file}) has no [LibraryImport] in Native");
    }

    [Fact]
    public void Every_csharp_declaration_resolves_in_the_built_library()
    {
        // Loading through the engine assembly finds the library its P/Invokes use.
        _ = TorchRuntime.Version;
        var library = NativeLibrary.Load(Native.Library, typeof(Tensor).Assembly, null);
        var declared = Declared();
        Assert.NotEmpty(declared);
        foreach (var (entryPoint, method) in declared)
            Assert.True(NativeLibrary.TryGetExport(library, entryPoint, out _), $"{method.Name} → {entryPoint} is not exported");
    }
}
