using LongRecipe.Engine.Recipes;
using LongRecipe.Lab.Components.Pages.Runs;

namespace LongRecipe.Lab.Tests.Pages.Runs;

public sealed class SpecDiffTests
{
    [Fact]
    public void The_recipe_and_pose_presets_differ_in_their_transform_stages_and_replay_and_nowhere_else()
    {
        var differences = SpecDiff.Compare([RunPresets.LongRecipe().ToJson(), RunPresets.Pose().ToJson()]);

        var byPath = differences.ToDictionary(d => d.Path, d => d.Values);
        Assert.Equal(["longrecipe", "pose"], byPath["name"]);
        Assert.Equal(["long_recipe", "pose"], byPath["stages[0].transform.scheme"]);
        // RunPresets: the recipe trains at 304 tokens (≈ 0.3·T), PoSE at the native 256.
        Assert.Equal(["304", "256"], byPath["stages[0].sequence_length"]);
        // Only the recipe anneals with replay and merges: PoSE's spec lacks those fields, and each missing stage is one row.
        Assert.Equal(["synthetic", null], byPath["data.replay"]);
        Assert.StartsWith("{kind: anneal, replay_ratio: 0.5, steps: 30, ", byPath["stages[1]"][0]);
        Assert.Null(byPath["stages[1]"][1]);
        Assert.Equal(["{kind: merge, method: average}", null], byPath["stages[2]"]);
        Assert.DoesNotContain(differences, d => d.Path.StartsWith("stages[1].", StringComparison.Ordinal));
        Assert.DoesNotContain("target_length", byPath.Keys);
        Assert.DoesNotContain("stages[0].kind", byPath.Keys);
        Assert.DoesNotContain(differences, d => d.Path.StartsWith("eval", StringComparison.Ordinal));
    }

    [Fact]
    public void A_training_free_spec_against_a_trained_one_differs_in_its_stage_list_as_a_whole()
    {
        var differences = SpecDiff.Compare([RunPresets.Yarn().ToJson(), RunPresets.Pose().ToJson()]);

        var stages = differences.Single(d => d.Path == "stages").Values;
        Assert.Equal("[]", stages[0]);
        Assert.StartsWith("[{kind: extend, transform: {scheme: pose, ", stages[1]);
        Assert.StartsWith("{factor: 4.0, original_max_position_embeddings: 256, rope_type: yarn", differences.Single(d => d.Path == "rope_scaling").Values[0]);
    }

    [Fact]
    public void Identical_specs_have_no_differences()
    {
        Assert.Empty(SpecDiff.Compare([RunPresets.Flt().ToJson(), RunPresets.Flt().ToJson()]));
    }

    [Fact]
    public void A_list_of_plain_values_is_one_field_and_a_list_of_objects_is_walked_item_by_item()
    {
        const string a = """{"eval": {"lengths": [256, 512, 1024]}, "stages": [{"kind": "extend", "lr": 0.001}]}""";
        const string b = """{"eval": {"lengths": [256, 512]}, "stages": [{"kind": "extend", "lr": 0.0001}]}""";

        var differences = SpecDiff.Compare([a, b]);

        Assert.Equal(
            [new SpecDifference("eval.lengths", ["[256, 512, 1024]", "[256, 512]"]), new SpecDifference("stages[0].lr", ["0.001", "0.0001"])],
            differences, (x, y) => x.Path == y.Path && x.Values.SequenceEqual(y.Values));
    }

    [Fact]
    public void A_field_that_differs_in_one_of_three_specs_shows_all_three_values_in_first_seen_order()
    {
        const string a = """{"seed": 1, "device": "cpu"}""";
        const string b = """{"seed": 1, "device": "cpu", "dtype": "bfloat16"}""";
        const string c = """{"seed": 2, "device": "cpu"}""";

        var differences = SpecDiff.Compare([a, b, c]);

        Assert.Equal(["seed", "dtype"], differences.Select(d => d.Path));
        Assert.Equal(["1", "1", "2"], differences[0].Values);
        Assert.Equal([null, "bfloat16", null], differences[1].Values);
    }
}
