using LongRecipe.Engine.Evaluation;
using LongRecipe.Engine.Recipes;
using LongRecipe.Engine.Runs;
using LongRecipe.Engine.Tokenization;

namespace LongRecipe.Lab.Components.Pages.RunDashboard;

/// <summary>
/// One needle of a heatmap cell as the final model answered it: the haystack around the needle sentence, the
/// prompt's end (the question and the cue the answer completes), the expected answer, the model's greedy answer,
/// whether it counted as right, and Σ log p of the expected answer.
/// </summary>
public sealed record NeedleAnswer(string AroundNeedle, string PromptEnd, string Expected, string Answer, bool Correct, double AnswerLogProb);

/// <summary>
/// What a clicked needle-heatmap cell was measured on: its needles asked again of the run's final model, as the
/// run's evaluation asked them (<see cref="RecipeRunner.Needles"/>), on a worker thread.
/// </summary>
public sealed class NeedleInspector(Workspace workspace)
{
    /// <summary>Tokens shown before the needle sentence and from its start on.</summary>
    public const int Before = 16, From = 40;

    /// <summary>Tokens shown of the prompt's end.</summary>
    public const int PromptEndTokens = 28;

    public Task<IReadOnlyList<NeedleAnswer>> AskAsync(RunRecord run, int length, double depth, CancellationToken cancel) =>
        Task.Run(() => Ask(run, length, depth, cancel), cancel);

    private IReadOnlyList<NeedleAnswer> Ask(RunRecord run, int length, double depth, CancellationToken cancel)
    {
        var runner = new RecipeRunner(run.Spec, run.Folder, workspace.BuiltinModel, workspace.RealCorpus);
        var results = runner.Needles(length, depth, cancel);
        var tokenizer = Tokenizer.Load(runner.FinalModel);
        return [.. results.Select(r => Describe(r, tokenizer))];
    }

    /// <summary>The result in words: the prompt's ids around the needle and at its end decoded, "…" where text is left out.</summary>
    public static NeedleAnswer Describe(RetrievalResult result, Tokenizer tokenizer)
    {
        var ids = result.Prompt.Ids;
        string Decode(int start, int end) => tokenizer.Decode([.. ids[Math.Max(0, start)..Math.Min(ids.Length, end)].Select(id => (int)id)]);
        var start = result.Prompt.NeedleTokenOffset - Before;
        var around = (start > 0 ? "…" : "") + Decode(start, result.Prompt.NeedleTokenOffset + From) + "…";
        var promptEnd = "…" + Decode(ids.Length - PromptEndTokens, ids.Length);
        return new NeedleAnswer(around, promptEnd, result.Prompt.Answer, result.GeneratedText.Trim(), result.Correct, result.AnswerLogProb);
    }
}
