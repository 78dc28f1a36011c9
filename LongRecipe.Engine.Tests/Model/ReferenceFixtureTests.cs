using System.Text.Json;
using LongRecipe.Engine.Model;

namespace LongRecipe.Engine.Tests.Model;

/// <summary>
/// Against the fixtures transformers 5.17 wrote (Reference/make_model_reference.py, torch 2.11):
/// its config.json files load, and our inverse frequencies match the inv_freq it rotated with in
/// every case, dynamic and longrope lengths included.
/// </summary>
public class ReferenceFixtureTests
{
    private static readonly string Root = Path.Combine(AppContext.BaseDirectory, "Model", "Reference");

    public static TheoryData<string> Fixtures => new(
        from family in new[] { "llama", "qwen2" }
        from rope in new[] { "default", "linear", "dynamic", "yarn", "llama3", "longrope" }
        select $"{family}-{rope}");

    [Theory]
    [MemberData(nameof(Fixtures))]
    public void Config_written_by_transformers_loads_and_survives_our_save(string fixture)
    {
        var config = LlamaConfig.Load(Path.Combine(Root, fixture));
        var (family, rope) = (fixture.Split('-')[0], fixture.Split('-')[1]);
        Assert.Equal(family == "llama" ? ModelFamily.Llama : ModelFamily.Qwen2, config.ModelType);
        Assert.Equal(rope, config.RopeScaling.Type.Name());
        Assert.Equal((256, 32, 64, 2, 2, 1, 16), (config.VocabSize, config.HiddenSize, config.IntermediateSize,
            config.NumHiddenLayers, config.NumAttentionHeads, config.NumKeyValueHeads, config.HeadDim));
        Assert.Equal(family == "qwen2", config.QkvBias);

        var saved = Path.Combine(Path.GetTempPath(), "lr-fixture-" + Guid.NewGuid().ToString("N"));
        try
        {
            Assert.Equal(config, LlamaConfig.Load(config.Save(saved)));
        }
        finally
        {
            Directory.Delete(saved, recursive: true);
        }
    }

    [Theory]
    [MemberData(nameof(Fixtures))]
    public void Inverse_frequencies_match_transformers_within_one_float32_ulp(string fixture)
    {
        var config = LlamaConfig.Load(Path.Combine(Root, fixture));
        using var reference = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(Root, fixture, "reference.json")));
        foreach (var @case in reference.RootElement.GetProperty("cases").EnumerateArray())
        {
            var label = $"{fixture}/{@case.GetProperty("name").GetString()}";
            var length = @case.GetProperty("rope_sequence_length").GetInt64();
            var f = Rope.Compute(config.RopeScaling, config.HeadDim, config.MaxPositionEmbeddings, length);
            var expected = @case.GetProperty("rope_inv_freq").EnumerateArray().Select(x => x.GetDouble()).ToArray();
            Assert.Equal(expected.Length, f.InverseFrequencies.Length);
            for (var i = 0; i < expected.Length; i++)
                Assert.True(Math.Abs(f.InverseFrequencies[i] - expected[i]) <= 1.2e-7 * expected[i],
                    $"{label} θ_{i}: transformers {expected[i]:R}, ours {f.InverseFrequencies[i]:R}");
            Assert.Equal(@case.GetProperty("rope_attention_scaling").GetDouble(), f.AttentionScaling, 12);
        }
    }
}
