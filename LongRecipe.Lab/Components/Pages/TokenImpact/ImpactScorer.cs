using LongRecipe.Engine.Analysis;
using LongRecipe.Engine.Model;
using LongRecipe.Engine.Tokenization;
using LongRecipe.Engine.Torch;
using LongRecipe.Lab.Components.Pages.Models;
using Microsoft.Extensions.Options;

namespace LongRecipe.Lab.Components.Pages.TokenImpact;

/// <summary>
/// What to score for the token-impact explorer: a text under one model with full against truncated
/// context (<see cref="ExtendedModel"/> null), or under a base and an extended model.
/// </summary>
public sealed record ImpactRequest(string Text, ModelEntry Model, ModelEntry? ExtendedModel = null, int TruncatedWindow = 64)
{
    public string? Problem()
    {
        if (string.IsNullOrWhiteSpace(Text)) return "There is no text to score.";
        if (!Model.Usable) return $"{Model.Directory}: not loadable (it needs config.json, weights and tokenizer.json).";
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

/// <param name="Dropped">Tokens cut from the end to fit the model's window.</param>
public sealed record ImpactResult(ScoredDocument Document, Tokenizer Tokenizer, int Dropped, string Setting);

/// <summary>
/// Scores a text twice for <see cref="TokenImpact"/> on the Lab's default device, on a worker thread
/// so the page stays live. The text is cut to the model's window (max_position_embeddings tokens).
/// </summary>
public sealed class ImpactScorer(IOptions<LabOptions> options)
{
    public Task<ImpactResult> ScoreAsync(ImpactRequest request, IProgress<string> progress, CancellationToken cancellation) =>
        Task.Run(() => Score(request, progress, cancellation), cancellation);

    private ImpactResult Score(ImpactRequest request, IProgress<string> progress, CancellationToken cancellation)
    {
        if (request.Problem() is { } problem) throw new ArgumentException(problem);
        var device = Device.Parse(options.Value.DefaultDevice);
        progress.Report("Tokenizing");
        var tokenizer = Tokenizer.Load(request.Model.Directory);
        var encoded = tokenizer.Encode(request.Text);
        var window = (int)Math.Min(request.Model.Config!.MaxPositionEmbeddings, request.ExtendedModel?.Config!.MaxPositionEmbeddings ?? long.MaxValue);
        var ids = encoded.Take(window).Select(id => (long)id).ToArray();
        if (ids.Length < 2) throw new ArgumentException("The text encodes to fewer than two tokens.");
        cancellation.ThrowIfCancellationRequested();

        progress.Report($"Loading {request.Model.Name} on {device}");
        using var model = PretrainedModel.Load(request.Model.Directory, device);
        cancellation.ThrowIfCancellationRequested();
        if (request.ExtendedModel is not { } extendedEntry)
        {
            progress.Report($"Scoring {ids.Length} tokens with full and {request.TruncatedWindow}-token context");
            var document = ImpactScoring.FullVersusTruncated(model, ids, request.TruncatedWindow);
            return new ImpactResult(document, tokenizer, encoded.Length - ids.Length, $"{request.Model.Name}: full context against {request.TruncatedWindow}-token windows");
        }
        progress.Report($"Loading {extendedEntry.Name} on {device}");
        using var extended = PretrainedModel.Load(extendedEntry.Directory, device);
        cancellation.ThrowIfCancellationRequested();
        progress.Report($"Scoring {ids.Length} tokens under both models");
        return new ImpactResult(ImpactScoring.ModelPair(model, extended, ids), tokenizer, encoded.Length - ids.Length,
            $"{extendedEntry.Name} against {request.Model.Name}");
    }
}
