using LongRecipe.Engine.Corpora;
using LongRecipe.Engine.Corpora.Packages;

namespace LongRecipe.Engine.Recipes;

// The corpora a spec names, found on disk before a run starts (not in Problems(): a stored spec stays readable
// after its corpus is gone).
public sealed partial record RunSpec
{
    /// <summary>
    /// What the spec's corpora (data.corpus, data.replay, eval.corpus) lack on this machine, each at its field:
    /// "real" needs the fetched corpus in <paramref name="realCorpus"/> (the data directory's corpora/real), a path
    /// must exist, a real corpus must hold the documents asked of it. Empty when every corpus is there. A field
    /// <paramref name="alreadyWrong"/> says a problem is known at is not looked at (see <see cref="LaunchProblems"/>).
    /// </summary>
    public IReadOnlyList<SpecProblem> CorpusProblems(string? realCorpus, Func<string, bool>? alreadyWrong = null)
    {
        alreadyWrong ??= _ => false;
        var problems = new List<SpecProblem>();
        if (Data.Corpus != DataSpec.Synthetic && !alreadyWrong("data.corpus"))
            TrainingCorpus(Data.Corpus, "data.corpus", realCorpus, Data.Documents, problems);
        if (Data.Replay is { } replay && replay != DataSpec.Synthetic && !alreadyWrong("data.replay"))
            // Replay takes train documents after those the corpus took, when both are the same real corpus.
            TrainingCorpus(replay, "data.replay", realCorpus, replay == Data.Corpus ? 2 * Data.Documents : Data.Documents, problems);
        if (Eval.Corpus != DataSpec.Synthetic && !alreadyWrong("eval.corpus") && RealFolder(Eval.Corpus, "eval.corpus", realCorpus, problems) is { } folder)
        {
            if (!RealCorpus.Exists(folder))
                problems.Add(new SpecProblem("eval.corpus", $"{folder} is not a real-text corpus (no {RealCorpus.ManifestFile} and {RealCorpus.DocumentsFile})"));
            else if (Open(folder, "eval.corpus", problems) is { } corpus && corpus.Count(Eval.Split) == 0)
                problems.Add(new SpecProblem("eval.split", $"the corpus in {folder} holds no {Eval.Split.ToString().ToLowerInvariant()} documents"));
        }
        return [.. problems.Where(p => !alreadyWrong(p.Path))];
    }

    /// <summary>The folder or file a corpus name stands for: "real" → <paramref name="realCorpus"/>, a path → itself; null for "synthetic".</summary>
    public static string? CorpusPath(string name, string? realCorpus) =>
        name == DataSpec.Synthetic ? null : name == DataSpec.Real ? realCorpus : Path.GetFullPath(name);

    private static void TrainingCorpus(string name, string field, string? realCorpus, int documents, List<SpecProblem> problems)
    {
        if (RealFolder(name, field, realCorpus, problems) is not { } path) return;
        if (File.Exists(path))
        {
            if (Path.GetExtension(path).ToLowerInvariant() is not (".jsonl" or ".txt"))
                problems.Add(new SpecProblem(field, $"{path}: unsupported corpus file type (expected .jsonl or .txt)"));
            return;
        }
        if (!RealCorpus.Exists(path))
        {
            if (!File.Exists(Path.Combine(path, "tokens.bin")))
                problems.Add(new SpecProblem(field, $"{path} is neither a real-text corpus ({RealCorpus.ManifestFile} and {RealCorpus.DocumentsFile}) nor a token store (tokens.bin)"));
            return;
        }
        if (Open(path, field, problems) is { } corpus && corpus.Count(CorpusSplit.Train) < documents)
            problems.Add(new SpecProblem("data.documents", $"the corpus in {path} has {corpus.Count(CorpusSplit.Train)} train documents; {documents} asked of it"));
    }

    /// <summary>The path a corpus name stands for when it exists; otherwise a problem at the field, and null.</summary>
    private static string? RealFolder(string name, string field, string? realCorpus, List<SpecProblem> problems)
    {
        if (name == DataSpec.Real && realCorpus is null)
        {
            problems.Add(new SpecProblem(field, "\"real\" names the data directory's fetched corpus, and this run has no data directory; give the corpus folder's path"));
            return null;
        }
        var path = CorpusPath(name, realCorpus)!;
        if (name == DataSpec.Real ? RealCorpus.Exists(path) : File.Exists(path) || Directory.Exists(path)) return path;
        problems.Add(new SpecProblem(field, name == DataSpec.Real
            ? $"the real-text corpus is not fetched yet (no {RealCorpus.ManifestFile} in {path}); run ./longrecipe corpus-fetch"
            : $"{path}: no such file or folder"));
        return null;
    }

    private static RealCorpus? Open(string folder, string field, List<SpecProblem> problems)
    {
        try
        {
            return RealCorpus.Open(folder);
        }
        catch (Exception e) when (e is CorpusFormatException or IOException or UnauthorizedAccessException)
        {
            problems.Add(new SpecProblem(field, e.Message));
            return null;
        }
    }
}
