using System.Diagnostics;
using System.Text.Json;
using LongRecipe.Engine.Tests.Support;

namespace LongRecipe.Engine.Tests.Tokenization;

/// <summary>
/// Runs one of the encoders written apart from ours (Reference/*.mjs, under node) over texts: JSON in on stdin, one
/// id array a text out. Skips where node or the encoder's library is absent.
/// </summary>
internal static class NodeEncoder
{
    public static int[][] Encode(string script, string library, IReadOnlyList<string> texts, params string[] arguments)
    {
        if (!File.Exists(library)) Assert.Skip($"{library} is missing: run scripts/ensure-deps.sh --test to fetch it");
        var path = Path.Combine(Repository.Root ?? AppContext.BaseDirectory, "LongRecipe.Engine.Tests", "Tokenization", "Reference", script);
        var start = new ProcessStartInfo("node", [path, library, .. arguments])
        {
            RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true,
        };
        Process node;
        try
        {
            node = Process.Start(start)!;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            Assert.Skip("node is not installed: scripts/ensure-deps.sh --test installs npm, which brings it");
            throw;
        }
        using (node)
        {
            var error = node.StandardError.ReadToEndAsync();
            var output = node.StandardOutput.ReadToEndAsync();
            node.StandardInput.Write(JsonSerializer.Serialize(texts));
            node.StandardInput.Close();
            node.WaitForExit();
            Assert.True(node.ExitCode == 0, $"node {script} failed ({node.ExitCode}): {error.Result}");
            return JsonSerializer.Deserialize<int[][]>(output.Result)!;
        }
    }

    /// <summary>The paragraphs of the licences every Debian and Ubuntu system carries: English prose, legal and technical,
    /// with quotes, numbers, brackets and line breaks inside the paragraphs.</summary>
    public static List<string> LicenceParagraphs() =>
        LicenceFiles().SelectMany(f => f.Split("\n\n", StringSplitOptions.RemoveEmptyEntries)).Where(p => p.Trim().Length > 0).ToList();

    /// <summary>Those licences' texts whole, in file-name order (links skipped: they repeat a file).</summary>
    public static List<string> LicenceFiles() =>
        Directory.EnumerateFiles("/usr/share/common-licenses")
            .Where(f => new FileInfo(f).LinkTarget is null)
            .Order(StringComparer.Ordinal)
            .Select(File.ReadAllText)
            .ToList();

    /// <summary>Where <paramref name="ours"/> and <paramref name="theirs"/> differ: none, or a count and the first few, side by side.</summary>
    public static string Differences(IReadOnlyList<string> texts, IReadOnlyList<int[]> ours, IReadOnlyList<int[]> theirs, string them)
    {
        var differing = Enumerable.Range(0, texts.Count).Where(i => !ours[i].SequenceEqual(theirs[i])).ToList();
        return differing.Count == 0 ? "" : $"{differing.Count} of {texts.Count} texts differ from {them}; the first:\n" + string.Join('\n',
            differing.Take(3).Select(i => $"  {JsonSerializer.Serialize(texts[i].Length > 200 ? texts[i][..200] + "…" : texts[i])}\n" +
                                          $"    {them}: {string.Join(' ', theirs[i])}\n    ours: {string.Join(' ', ours[i])}"));
    }
}
