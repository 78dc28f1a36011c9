using System.Text.Json;
using LongRecipe.Engine.Model;
using LongRecipe.Engine.Tests.Support;

namespace LongRecipe.Engine.Tests.Model;

/// <summary>
/// The decoder against transformers 5.17 itself: each fixture (Reference/make_model_reference.py)
/// is a tiny random Llama or Qwen2 checkpoint saved by save_pretrained with one RoPE type, and
/// transformers' per-token log-probs for a batch of two rows at contiguous, sparse and
/// beyond-the-window position ids. Loaded from the same files, the engine must agree to 1e-4 in
/// f32 — a RoPE mistake moves these by whole nats (initializer_range 0.15).
/// </summary>
public class TransformersReferenceTests
{
    private static readonly string Root = Path.Combine(AppContext.BaseDirectory, "Model", "Reference");

    public static TheoryData<string> Fixtures => ReferenceFixtureTests.Fixtures;

    [Theory]
    [MemberData(nameof(Fixtures))]
    public void Log_probs_match_transformers(string fixture)
    {
        using var model = PretrainedModel.Load(Path.Combine(Root, fixture));
        using var reference = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(Root, fixture, "reference.json")));
        var inputIds = Rows(reference.RootElement.GetProperty("input_ids"));
        foreach (var @case in reference.RootElement.GetProperty("cases").EnumerateArray())
        {
            var label = $"{fixture}/{@case.GetProperty("name").GetString()}";
            var ours = Scoring.LogProbs(model, inputIds, Rows(@case.GetProperty("position_ids")));
            var theirs = @case.GetProperty("logprobs").EnumerateArray()
                .Select(row => row.EnumerateArray().Select(v => v.GetDouble()).ToArray()).ToArray();
            for (var r = 0; r < theirs.Length; r++)
                Expect.Close(theirs[r], ours[r], 1e-4, $"{label} row {r}");
        }
    }

    private static long[][] Rows(JsonElement rows) =>
        rows.EnumerateArray().Select(row => row.EnumerateArray().Select(v => v.GetInt64()).ToArray()).ToArray();
}
