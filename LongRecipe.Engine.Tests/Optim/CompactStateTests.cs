using LongRecipe.Engine.Optim;
using LongRecipe.Engine.Tests.Support;
using LongRecipe.Engine.Torch;

namespace LongRecipe.Engine.Tests.Optim;

/// <summary>AdamW with bf16 and 8-bit moments: the f64 formula within the storage's precision, unbiased bf16 weights, state bytes.</summary>
public class CompactStateTests
{
    private static readonly AdamWOptions Options = new(LearningRate: 0.01, Beta1: 0.9, Beta2: 0.95, Epsilon: 1e-8, WeightDecay: 0.1);

    /// <summary>torch.optim.AdamW's step in doubles for one element: the parameter after each gradient.</summary>
    private static double[] Expected(double start, double[] grads, AdamWOptions o)
    {
        var (p, m, v) = (start, 0.0, 0.0);
        var after = new double[grads.Length];
        for (var t = 1; t <= grads.Length; t++)
        {
            var g = grads[t - 1];
            p *= 1 - o.LearningRate * o.WeightDecay;
            m = o.Beta1 * m + (1 - o.Beta1) * g;
            v = o.Beta2 * v + (1 - o.Beta2) * g * g;
            p -= o.LearningRate * m / (1 - Math.Pow(o.Beta1, t)) / (Math.Sqrt(v) / Math.Sqrt(1 - Math.Pow(o.Beta2, t)) + o.Epsilon);
            after[t - 1] = p;
        }
        return after;
    }

    [Theory]
    [InlineData(OptimizerState.Bf16Stochastic)]
    [InlineData(OptimizerState.Int8Blockwise)]
    public void F32_parameters_follow_the_formula_within_the_moments_precision(OptimizerState state)
    {
        using var scope = DisposeScope.Enter();
        // Five elements of one block with gradients of mixed sign and size; the moments are stored between steps.
        double[] start = [1, -2, 0.5, 0, 0.02];
        double[][] grads = [[0.1, -0.2, 0.3, 0, 1e-4], [0.05, 0.4, -0.3, 0.1, 2e-4], [-0.2, 0.1, 0, 1, -1e-4]];
        var p = Tensor.FromArray(start.Select(v => (float)v).ToArray()).RequiringGrad();
        using var optimizer = new AdamW([p], Options with { State = state });
        for (var t = 0; t < grads.Length; t++)
        {
            using var step = DisposeScope.Enter();
            p.Grad = Tensor.FromArray(grads[t].Select(v => (float)v).ToArray());
            optimizer.Step();
            var actual = Expect.Values(p);
            for (var i = 0; i < start.Length; i++)
            {
                var expected = Expected(start[i], [.. grads.Take(t + 1).Select(g => g[i])], Options)[t];
                // Step 1 uses the fresh f32 moments, so only f32 rounding differs; later steps read stored moments,
                // whose error (under 1% of a block's largest) moves a step of about lr = 0.01 by well under 1e-3.
                Expect.Close(expected, actual[i], t == 0 ? 1e-6 : 1e-3, $"{state}: element {i} after step {t + 1}");
            }
        }
    }

    [Theory]
    [InlineData(OptimizerState.Bf16Stochastic)]
    [InlineData(OptimizerState.Int8Blockwise)]
    public void Bf16_parameters_land_on_a_neighbour_of_the_f32_update_and_on_it_on_average(OptimizerState state)
    {
        using var scope = DisposeScope.Enter();
        // 4096 copies of one weight, one gradient: after the first step, f32 would hold
        // 0.25 · (1 − 0.01 · 0.1) − 0.01 · 0.3 / (0.3 + 1e-8) = 0.23975; bf16's neighbours there are 0.23925781 and 0.24023438.
        const int count = 4096;
        var p = Tensor.Full([count], 0.25, DType.BFloat16).RequiringGrad();
        using var optimizer = new AdamW([p], Options with { State = state, Seed = 11 });
        p.Grad = Tensor.Full([count], 0.3, DType.BFloat16);
        optimizer.Step();
        var exact = Expected(0.25, [(double)(float)0.30078125], Options)[0];
        var (below, above) = (0.2392578125, 0.240234375);
        Assert.InRange(exact, below, above);
        var after = Expect.Values(p);
        Assert.All(after, w => Assert.True(w == below || w == above, $"{w} is neither neighbour"));
        // Above with probability (exact − below) / gap; the mean within 5 standard errors of the f32 value.
        var up = (exact - below) / (above - below);
        var tolerance = 5 * (above - below) * Math.Sqrt(up * (1 - up) / count);
        Assert.InRange(after.Average(), exact - tolerance, exact + tolerance);
    }

    [Fact]
    public void State_bytes_per_parameter_are_8_4_and_about_2()
    {
        using var scope = DisposeScope.Enter();
        // 10,000 elements: f32 moments 2 · 4 bytes each; bf16 2 · 2; 8-bit 2 · 1 plus 2 · 4 bytes per block of 2048 (5 blocks).
        foreach (var (state, bytes) in new[] { (OptimizerState.F32, 80_000L), (OptimizerState.Bf16Stochastic, 40_000), (OptimizerState.Int8Blockwise, 20_040) })
        {
            var p = Tensor.Zeros([100, 100]).RequiringGrad();
            using var optimizer = new AdamW([p], Options with { State = state });
            Assert.Equal(0, optimizer.StateBytes);
            p.Grad = Tensor.Ones([100, 100]);
            optimizer.Step();
            Assert.Equal(bytes, optimizer.StateBytes);
        }
    }

    [Fact]
    public void Restored_state_continues_as_the_optimizer_that_saved_it()
    {
        using var scope = DisposeScope.Enter();
        using var random = new Generator(3);
        var start = Tensor.Randn([3000], random).To(DType.BFloat16);
        var grads = Enumerable.Range(0, 3).Select(_ => Tensor.Randn([3000], random).To(DType.BFloat16)).ToList();
        var options = Options with { State = OptimizerState.Int8Blockwise, Seed = 5 };

        var whole = start.Clone().RequiringGrad();
        using var uninterrupted = new AdamW([whole], options);
        var split = start.Clone().RequiringGrad();
        using var first = new AdamW([split], options);
        foreach (var (g, step) in grads.Select((g, i) => (g, i)))
        {
            whole.Grad = g;
            uninterrupted.Step();
            if (step == 2) continue;
            split.Grad = g;
            first.Step();
        }
        // A second optimizer takes the first one's state (copies, as from a checkpoint) and its last step.
        var saved = first.State(0).ToDictionary(s => s.Name, s => s.Tensor.Clone());
        Assert.Equal(["exp_avg_absmax", "exp_avg_codes", "exp_avg_sq_root_absmax", "exp_avg_sq_root_codes"], saved.Keys.Order());
        using var second = new AdamW([split], options);
        second.Restore(first.StepCount, (_, name, like) =>
        {
            Assert.Equal(like.Shape, saved[name].Shape);
            return saved[name];
        });
        split.Grad = grads[2];
        second.Step();
        Assert.Equal(Expect.Values(whole), Expect.Values(split));

        Assert.Contains("lacks exp_avg_codes", Assert.Throws<ArgumentException>(() =>
            second.Restore(2, (_, name, _) => name == "exp_avg_codes" ? null : saved[name])).Message);
    }
}
