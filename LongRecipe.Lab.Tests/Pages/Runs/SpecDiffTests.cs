using LongRecipe.Engine.Runs;
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
        // Only the recipe anneals with replay and merges: PoSE's spec lacks those fields altogether.
        Assert.Equal(["synthetic", null], byPath["data.replay"]);
        Assert.Equal(["anneal", null], byPath["stages[1].kind"]);
        Assert.Equal(["merge", null], byPath["stages[2].kind"]);
        Assert.DoesNotContain("target_length", byPath.Keys);
        Assert.DoesNotContain("stages[0].kind", byPath.Keys);
        Assert.DoesNotContain(differences, d => d.Path.StartsWith("eval", StringComparison.Ordinal));
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
