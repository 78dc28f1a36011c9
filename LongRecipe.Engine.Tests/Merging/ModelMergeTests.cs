using LongRecipe.Engine.Merging;
using LongRecipe.Engine.Model;
using LongRecipe.Engine.Tests.Support;
using LongRecipe.Engine.Torch;

namespace LongRecipe.Engine.Tests.Merging;

public class ModelMergeTests
{
    private static Tensor T(params double[] values) => Tensor.FromArray(values.Select(v => (float)v).ToArray(), [values.Length]);

    private static double[] Merge(MergeSpec spec, double[] theta0, params double[][] thetas)
    {
        using var scope = DisposeScope.Enter();
        return Expect.Values(ModelMerge.MergeTensor(T(theta0), thetas.Select(t => T(t)).ToList(), spec));
    }

    [Fact]
    public void Average_is_the_mean_of_the_base_and_the_models()
    {
        Expect.Close([2, 4], Merge(new(MergeMethod.Average), [1, 2], [3, 6]), 1e-6, "(θ0 + θ1) / 2");
        Expect.Close([2, 3], Merge(new(MergeMethod.Average), [0, 3], [3, 3], [3, 3]), 1e-6, "mean of three");
    }

    [Fact]
    public void Weighted_takes_alpha_of_the_model()
    {
        // 0.25·[4, 8] + 0.75·[0, 4] = [1, 5]
        Expect.Close([1, 5], Merge(new(MergeMethod.Weighted, Alpha: 0.25), [0, 4], [4, 8]), 1e-6, "α-weighted");
    }

    [Fact]
    public void Slerp_follows_the_arc_between_orthogonal_vectors_and_falls_back_to_lerp_when_parallel()
    {
        // Ω = 90°; at t = 1/3: sin(60°)·[1, 0] + sin(30°)·[0, 1] (sin Ω = 1).
        Expect.Close([Math.Sqrt(3) / 2, 0.5], Merge(new(MergeMethod.Slerp, Alpha: 1.0 / 3), [1, 0], [0, 1]), 1e-6, "slerp on the unit circle");
        Expect.Close([1.5, 3], Merge(new(MergeMethod.Slerp, Alpha: 0.5), [1, 2], [2, 4]), 1e-6, "parallel: linear");
    }

    [Fact]
    public void Ties_trims_elects_a_sign_and_averages_the_agreeing_entries()
    {
        // τ1 = [4, -1, 2, 0.5], τ2 = [2, 3, -6, 0.1]; density 0.5 keeps the two largest of each:
        // τ1' = [4, 0, 2, 0], τ2' = [0, 3, -6, 0]. Σ = [4, 3, -4, 0] → signs [+, +, −, 0].
        // Agreeing means: [4, 3, -6, none] → θ = θ0 + [4, 3, -6, 0].
        double[] theta0 = [1, 1, 1, 1];
        var merged = Merge(new(MergeMethod.Ties, Density: 0.5), theta0, [5, 0, 3, 1.5], [3, 4, -5, 1.1]);
        Expect.Close([5, 4, -5, 1], merged, 1e-6, "TIES by hand");
        // Density 1 with agreeing signs is the mean task vector.
        Expect.Close([3, 3], Merge(new(MergeMethod.Ties, Density: 1), [1, 1], [3, 2], [3, 4]), 1e-6, "TIES, no trimming");
    }

    [Fact]
    public void Models_merge_into_the_target_and_save_and_load()
    {
        var config = LlamaConfig.Tiny();
        using var baseModel = LlamaModel.Initialize(config, seed: 1);
        using var trained = LlamaModel.Initialize(config, seed: 2);
        var name = baseModel.Parameters.Names[0];
        var expected = Expect.Values(baseModel.Parameters[name]).Zip(Expect.Values(trained.Parameters[name]), (a, b) => (a + b) / 2).ToArray();

        ModelMerge.Merge(trained, baseModel, [trained], new MergeSpec(), cancel: TestContext.Current.CancellationToken);

        Expect.Close(expected, Expect.Values(trained.Parameters[name]), 1e-6, "averaged in place");
        using var folder = new TempFolder();
        PretrainedModel.Save(trained, folder.Path);
        using var loaded = PretrainedModel.Load(folder.Path);
        Expect.Close(Expect.Values(trained.Parameters[name]), Expect.Values(loaded.Parameters[name]), 0, "saved merge");
    }

    [Fact]
    public void Mismatched_models_and_bad_settings_are_refused()
    {
        using var small = LlamaModel.Initialize(LlamaConfig.Tiny(), seed: 1);
        using var wide = LlamaModel.Initialize(LlamaConfig.Tiny() with { IntermediateSize = LlamaConfig.Tiny().IntermediateSize * 2 }, seed: 1);
        var shapes = Assert.Throws<ArgumentException>(() => ModelMerge.Merge(small, small, [wide], new MergeSpec(), cancel: TestContext.Current.CancellationToken));
        Assert.Contains("mlp", shapes.Message);
        // A tensor only the model has (an untied lm_head over a tied base) used to keep the model's values, unmerged.
        using var tied = LlamaModel.Initialize(LlamaConfig.Tiny() with { TieWordEmbeddings = true }, seed: 1);
        Assert.Equal("a model differs from the base: it has lm_head.weight, which the base lacks",
            Assert.Throws<ArgumentException>(() => ModelMerge.Merge(small, tied, [small], new MergeSpec(), cancel: TestContext.Current.CancellationToken)).Message);
        Assert.Contains("alpha", Assert.Throws<ArgumentException>(() => new MergeSpec(Alpha: 1.5).Validate()).Message);
        Assert.Contains("density", Assert.Throws<ArgumentException>(() => new MergeSpec(Density: 0).Validate()).Message);
        Assert.Contains("exactly one model", Assert.Throws<ArgumentException>(() => ModelMerge.Merge(small, small, [small, small], new MergeSpec(MergeMethod.Slerp), cancel: TestContext.Current.CancellationToken)).Message);
    }
}
