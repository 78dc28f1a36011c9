using LongRecipe.Engine.Analysis;
using LongRecipe.Engine.Model;
using LongRecipe.Engine.Tokenization;
using LongRecipe.Engine.Torch;
using LongRecipe.Lab.Components.Pages.Models;
using Microsoft.Extensions.Options;

namespace LongRecipe.Lab.Components.Pages.TokenImpact;

/// <summary>
/// What to score for the token-impact explorer: a text under one model with full against truncated
/// context (<see cref="ExtendedModel"/> null), or under a base and an extended model; in the first
/// <paramref name="Windows"/> consecutive windows of the model's context (a long text slides on).
/// </summary>
public sealed record ImpactRequest(string Text, ModelEntry Model, ModelEntry? ExtendedModel = null, int TruncatedWindow = 64, int Windows = 1)
{
    /// <summary>The most windows one request scores.</summary>
    public const int MaxWindows = 32;

    public string? Problem()
    {
        if (string.IsNullOrWhiteSpace(Text)) return "There is no text to score.";
        if (!Model.Usable) return $"{Model.Directory}: not loadable (it needs config.json, weights and tokenizer.json).";
        if (Windows is < 1 or > MaxWindows) return $"Windows must be in [1, {MaxWindows}], got {Windows}.";
        if (ExtendedModel is { } extended)
        {
            if (!extended.Usable) return $"{extended.Directory}: not loadable (it needs config.json, weights and tokenizer.json).";
            if (extended.Config!.VocabSize != Model.Config!.VocabSize)
                return $"The models' vocabularies differ ({Model.Config.VocabSize} and {extended.Config.VocabSize}); a model pair must share its tokenizer.";
        }
        else if (TruncatedWindow < 2) return $"The truncated window must hold at least 2 tokens, got {TruncatedWindow}.";
        return null;
    }
}

/// <param name="Windows">Each scored window of the text, in order.</param>
/// <param name="Tokens">The text's length in tokens.</param>
/// <param name="Dropped">Tokens after the last window scored.</param>
/// <param name="Setting">What was compared, in words.</param>
public sealed record ImpactResult(IReadOnlyList<ScoredDocument> Windows, Tokenizer Tokenizer, int Tokens, int Dropped, string Setting, IReadOnlyList<string> Warnings)
{
    /// <summary>Every scored token id, the windows one after another.</summary>
    public long[] TokenIds => [.. Windows.SelectMany(w => w.TokenIds)];
}

/// <summary>
/// Scores a text twice for <see cref="TokenImpact"/> on the Lab's default device, on a worker thread
/// so the page stays live. The text is cut into windows of the model's context (max_position_embeddings
/// tokens; the smaller of a pair's), the first <see cref="ImpactRequest.Windows"/> of them scored.
/// </summary>
public sealed class ImpactScorer(IOptions<LabOptions> options)
{
    public Task<ImpactResult> ScoreAsync(ImpactRequest request, IProgress<string> progress, CancellationToken cancellation) =>
        Task.Run(() => Score(request, progress, cancellation), cancellation);

    /// <summary>Consecutive windows of <paramref name="window"/> ids, at most <paramref name="most"/>; a last piece under two tokens is left out.</summary>
    public static IReadOnlyList<long[]> Windows(long[] ids, int window, int most) =>
        [.. ids.Chunk(window).Take(most).Where(w => w.Length >= 2)];

    private ImpactResult Score(ImpactRequest request, IProgress<string> progress, CancellationToken cancellation)
    {
        if (request.Problem() is { } problem) throw new ArgumentException(problem);
        var device = Device.Parse(options.Value.DefaultDevice);
        progress.Report("Tokenizing");
        var tokenizer = Tokenizer.Load(request.Model.Directory);
        var ids = tokenizer.Encode(request.Text).Select(id => (long)id).ToArray();
        var window = (int)Math.Min(request.Model.Config!.MaxPositionEmbeddings, request.ExtendedModel?.Config!.MaxPositionEmbeddings ?? long.MaxValue);
        var windows = Windows(ids, window, request.Windows);
        if (windows.Count == 0) throw new ArgumentException("The text encodes to fewer than two tokens.");
        var scored = windows.Sum(w => w.Length);
        var over = windows.Count == 1 ? "" : $" in {windows.Count} windows of {window} tokens";
        cancellation.ThrowIfCancellationRequested();

        // What loading found wrong but loaded anyway (a tensor holding NaN or ±∞, one stored in another dtype) goes with the result.
        var warnings = new List<string>();
        progress.Report($"Loading {request.Model.Name} on {device}");
        using var model = PretrainedModel.Load(request.Model.Directory, device, warn: warnings.Add);
        cancellation.ThrowIfCancellationRequested();
        if (request.ExtendedModel is not { } extendedEntry)
        {
            var results = new List<ScoredDocument>();
            foreach (var (piece, k) in windows.Select((w, k) => (w, k)))
            {
                progress.Report($"Scoring window {k + 1} of {windows.Count} ({piece.Length} tokens) with full and {request.TruncatedWindow}-token context");
                results.Add(ImpactScoring.FullVersusTruncated(model, piece, request.TruncatedWindow));
                cancellation.ThrowIfCancellationRequested();
            }
            return new ImpactResult(results, tokenizer, ids.Length, ids.Length - scored,
                $"{request.Model.Name}: full context against {request.TruncatedWindow}-token windows{over}", warnings);
        }
        progress.Report($"Loading {extendedEntry.Name} on {device}");
        using var extended = PretrainedModel.Load(extendedEntry.Directory, device, warn: warnings.Add);
        var pairs = new List<ScoredDocument>();
        foreach (var (piece, k) in windows.Select((w, k) => (w, k)))
        {
            cancellation.ThrowIfCancellationRequested();
            progress.Report($"Scoring window {k + 1} of {windows.Count} ({piece.Length} tokens) under both models");
            pairs.Add(ImpactScoring.ModelPair(model, extended, piece));
        }
        return new ImpactResult(pairs, tokenizer, ids.Length, ids.Length - scored, $"{extendedEntry.Name} against {request.Model.Name}{over}", warnings);
    }
}
