using LongRecipe.Engine.Optim;
using LongRecipe.Engine.Tests.Support;
using LongRecipe.Engine.Torch;

namespace LongRecipe.Engine.Tests.Optim;

/// <summary>AdamW against the formula of torch.optim.AdamW worked in plain doubles.</summary>
public class AdamWTests
{
    /// <summary>
    /// The parameters after each step, computed element by element. At step t with gradient g:
    ///   p ← p · (1 − lr·λ)
    ///   m ← β₁ m + (1 − β₁) g;   v ← β₂ v + (1 − β₂) g²
    ///   p ← p − lr / (1 − β₁ᵗ) · m / (√v / √(1 − β₂ᵗ) + ε)
    /// </summary>
    private static double[][] Expected(double[] start, double[][] grads, AdamWOptions o)
    {
        var p = (double[])start.Clone();
        var m = new double[p.Length];
        var v = new double[p.Length];
        var after = new double[grads.Length][];
        for (var t = 1; t <= grads.Length; t++)
        {
            var g = grads[t - 1];
            for (var i = 0; i < p.Length; i++)
            {
                p[i] *= 1 - o.LearningRate * o.WeightDecay;
                m[i] = o.Beta1 * m[i] + (1 - o.Beta1) * g[i];
                v[i] = o.Beta2 * v[i] + (1 - o.Beta2) * g[i] * g[i];
                var mHat = m[i] / (1 - Math.Pow(o.Beta1, t));
                var vHatRoot = Math.Sqrt(v[i]) / Math.Sqrt(1 - Math.Pow(o.Beta2, t));
                p[i] -= o.LearningRate * mHat / (vHatRoot + o.Epsilon);
            }
            after[t - 1] = (double[])p.Clone();
        }
        return after;
    }

    /// <summary>Runs one step per gradient, each in its own dispose scope as a training loop does, and returns p after each.</summary>
    private static double[][] Run(Tensor p, double[][] grads, AdamWOptions options)
    {
        using var optimizer = new AdamW([p], options);
        var after = new double[grads.Length][];
        for (var t = 0; t < grads.Length; t++)
        {
            using var step = DisposeScope.Enter();
            p.Grad = Tensor.FromArray(grads[t], dtype: p.DType);
            optimizer.Step();
            Assert.Equal(t + 1, optimizer.StepCount);
            after[t] = Expect.Values(p);
        }
        return after;
    }

    private static readonly double[] Start = [1, -2, 0.5, 0];

    private static readonly double[][] Grads =
    [
        [0.1, -0.2, 0.3, 0],
        [0.05, 0.4, -0.3, 0.1],
        [-0.2, 0.1, 0, 1],
    ];

    private static readonly AdamWOptions Options = new(LearningRate: 0.01, Beta1: 0.9, Beta2: 0.95, Epsilon: 1e-8, WeightDecay: 0.1);

    [Fact]
    public void Three_steps_follow_the_formula_in_f64()
    {
        using var scope = DisposeScope.Enter();
        var p = Tensor.FromArray(Start).RequiringGrad();
        var actual = Run(p, Grads, Options);
        var expected = Expected(Start, Grads, Options);
        for (var t = 0; t < Grads.Length; t++)
            Expect.Close(expected[t], actual[t], 1e-12, $"p after step {t + 1}");
    }

    [Fact]
    public void Three_steps_follow_the_formula_in_f32()
    {
        using var scope = DisposeScope.Enter();
        var p = Tensor.FromArray(Start, dtype: DType.Float32).RequiringGrad();
        var actual = Run(p, Grads, Options);
        var expected = Expected(Start, Grads, Options);
        for (var t = 0; t < Grads.Length; t++)
            Expect.Close(expected[t], actual[t], 1e-6, $"f32 p after step {t + 1}");
    }

    [Fact]
    public void First_step_moves_each_parameter_by_lr_against_the_gradient_sign()
    {
        using var scope = DisposeScope.Enter();
        // At t = 1 the corrected moments are g and g², so the step is lr · g / (|g| + ε) ≈ lr · sign(g):
        // by hand, [1, −2, 0.5, 0] − 0.01 · [1, −1, 1, 0] (ε shifts it by lr·ε/|g| ≤ 1e-9).
        var p = Tensor.FromArray(Start).RequiringGrad();
        var after = Run(p, [Grads[0]], Options with { WeightDecay = 0 });
        Expect.Close([0.99, -1.99, 0.49, 0], after[0], 1e-8, "first step");
    }

    [Fact]
    public void Weight_decay_alone_shrinks_by_one_minus_lr_lambda_each_step()
    {
        using var scope = DisposeScope.Enter();
        // With zero gradients the moments stay 0 and only p ← p · (1 − 0.1 · 0.5) = 0.95 p acts:
        // after three steps 0.95³ = 0.857375, so [2, −4] becomes [1.71475, −3.4295].
        var p = Tensor.FromArray([2.0, -4]).RequiringGrad();
        double[][] zero = [[0, 0], [0, 0], [0, 0]];
        var after = Run(p, zero, new AdamWOptions(LearningRate: 0.1, WeightDecay: 0.5));
        Expect.Close([1.9, -3.8], after[0], 1e-12, "decay step 1");
        Expect.Close([1.71475, -3.4295], after[2], 1e-12, "decay step 3");
    }

    [Fact]
    public void Parameters_without_gradients_are_left_alone()
    {
        using var scope = DisposeScope.Enter();
        var withGrad = Tensor.FromArray([1.0]).RequiringGrad();
        var without = Tensor.FromArray([1.0]).RequiringGrad();
        using var optimizer = new AdamW([withGrad, without], new AdamWOptions(LearningRate: 0.1, WeightDecay: 0.5));
        withGrad.Grad = Tensor.FromArray([1.0]);
        optimizer.Step();
        // Decay then the sign step: 1 · 0.95 − 0.1 · 1 / (1 + 1e-8).
        Expect.Close(0.85, withGrad.ToDouble(), 1e-8, "with a gradient");
        Assert.Equal(1.0, without.ToDouble());

        optimizer.ZeroGrad();
        Assert.Null(withGrad.Grad);
        optimizer.Step();
        Expect.Close(0.85, withGrad.ToDouble(), 1e-8, "no gradient after ZeroGrad, no change");
    }

    [Fact]
    public void LearningRate_set_between_steps_is_used()
    {
        using var scope = DisposeScope.Enter();
        var options = Options with { WeightDecay = 0 };
        var p = Tensor.FromArray([0.0]).RequiringGrad();
        using var optimizer = new AdamW([p], options);
        Assert.Equal(0.01, optimizer.LearningRate);
        optimizer.LearningRate = 0.5;
        p.Grad = Tensor.FromArray([-3.0]);
        optimizer.Step();
        // The first step is lr · sign(g) against the gradient: 0 + 0.5.
        Expect.Close(0.5, p.ToDouble(), 1e-8, "step with lr 0.5");
    }

    [Fact]
    public void A_step_on_the_device_is_refused_where_it_cannot_run_and_leaves_the_parameters()
    {
        using var scope = DisposeScope.Enter();
        var p = Tensor.FromArray(Start).RequiringGrad();
        p.Grad = Tensor.FromArray(Grads[0]);
        using var optimizer = new AdamW([p], Options);
        Assert.False(optimizer.CanStepOnDevice);
        var e = Assert.Throws<InvalidOperationException>(() => optimizer.StepOnDevice(Tensor.Full([], 0.01), Tensor.Zeros([])));
        Assert.Contains("needs f32 optimizer state, CUDA parameters and libtorch 2.3 or newer", e.Message);
        Expect.Close(Start, p, 0, "parameters untouched");
        Assert.Equal(0, optimizer.StepCount);
    }
}
