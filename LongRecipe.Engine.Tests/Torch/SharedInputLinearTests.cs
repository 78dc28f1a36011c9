using LongRecipe.Engine.Model;
using LongRecipe.Engine.Tests.Support;
using LongRecipe.Engine.Torch;

namespace LongRecipe.Engine.Tests.Torch;

/// <summary>
/// Linear maps of one input whose backward sums the input's gradient inside the matrix products: the same outputs and
/// gradients as one Linear each under autograd, in f64 where the two sums differ only in rounding.
/// </summary>
public class SharedInputLinearTests
{
    private static Tensor Randn(ulong seed, params long[] shape) => Draw.Normal(seed, DType.Float64, shape);

    [Fact]
    public void Three_maps_of_one_input_give_autograds_outputs_and_gradients()
    {
        using var scope = DisposeScope.Enter();
        // [batch, seq, in] = [2, 5, 8] into 6, 3 and 3 features, as the query, key and value projections; only the
        // first and last have biases. The loss weights each output differently, so each gradient is its own.
        var x = Randn(1, 2, 5, 8);
        Tensor[] weights = [Randn(2, 6, 8), Randn(3, 3, 8), Randn(4, 3, 8)];
        Tensor?[] biases = [Randn(5, 6), null, Randn(6, 3)];
        Tensor[] lossWeights = [Randn(7, 2, 5, 6), Randn(8, 2, 5, 3), Randn(9, 2, 5, 3)];

        (Tensor[] Outputs, Tensor[] Grads) Run(bool shared)
        {
            var input = x.Clone().RequiringGrad();
            var ws = weights.Select(w => w.Clone().RequiringGrad()).ToArray();
            var bs = biases.Select(b => b?.Clone().RequiringGrad()).ToArray();
            var outputs = shared
                ? new SharedInputLinear(input, ws, bs).Apply([input, .. ws, .. bs.OfType<Tensor>()])
                : ws.Select((w, i) => Functional.Linear(input, w, bs[i])).ToArray();
            outputs.Select((y, i) => (y * lossWeights[i]).Sum()).Aggregate((a, b) => a + b).Backward();
            return (outputs, [input.Grad!, .. ws.Select(w => w.Grad!), .. bs.OfType<Tensor>().Select(b => b.Grad!)]);
        }

        var autograd = Run(shared: false);
        var shared = Run(shared: true);
        for (var i = 0; i < 3; i++)
            Assert.Equal(autograd.Outputs[i].ToArray<double>(), shared.Outputs[i].ToArray<double>());
        string[] names = ["x", "W_q", "W_k", "W_v", "b_q", "b_v"];
        Assert.Equal(names.Length, shared.Grads.Length);
        for (var i = 0; i < names.Length; i++)
        {
            Expect.Shape(autograd.Grads[i].Shape, shared.Grads[i], names[i]);
            Expect.Close(Expect.Values(autograd.Grads[i]), shared.Grads[i], 1e-12, $"∂{names[i]}");
        }
    }

    [Fact]
    public void A_frozen_weight_and_an_input_without_gradient_get_none()
    {
        using var scope = DisposeScope.Enter();
        var x = Randn(11, 4, 8);
        var frozen = Randn(12, 3, 8);
        var trained = Randn(13, 5, 8).RequiringGrad();
        var outputs = new SharedInputLinear(x, [frozen, trained], [null, null]).Apply(x, frozen, trained);
        (outputs[0].Sum() + outputs[1].Sum()).Backward();
        Assert.Null(frozen.Grad);
        Assert.Null(x.Grad);
        // ∂/∂W = Σ_rows 1 · x for every output feature.
        var expected = x.Sum(0).ToArray<double>();
        var grad = trained.Grad!.ToArray<double>();
        for (var row = 0; row < 5; row++) Expect.Close(expected, grad.AsSpan(row * 8, 8), 1e-12, $"∂W row {row}");
    }
}

/// <summary>The switch is process-wide, so the model's check runs alone, after the parallel tests.</summary>
[Collection(nameof(ProcessWide))]
public class SharedInputLinearModelTests
{
    [Fact]
    public void A_model_with_the_projections_gradients_summed_in_place_gets_the_gradients_autograd_gives()
    {
        // Qwen2's shape: the query, key and value projections have biases.
        using var model = LlamaModel.Initialize(LlamaConfig.Tiny(ModelFamily.Qwen2) with { InitializerRange = 0.15 }, seed: 3, DType.Float64);
        foreach (var p in model.Parameters.Tensors) p.RequiresGrad = true;
        long[] ids = [5, 17, 200, 3, 99, 42, 7, 128, 64, 1, 250, 33];
        (double Loss, double[] Grads) Step()
        {
            using var scope = DisposeScope.Enter();
            var input = Tensor.FromArray(ids, [1, ids.Length]);
            var logits = model.Forward(input, Tensor.Arange(ids.Length).Unsqueeze(0));
            var loss = Functional.CrossEntropy(logits.Narrow(1, 0, ids.Length - 1).Reshape(-1, 256), input.Narrow(1, 1, ids.Length - 1).Reshape(-1));
            loss.Backward();
            var grads = model.Parameters.Tensors.SelectMany(p => p.Grad!.ToArray<double>()).ToArray();
            foreach (var p in model.Parameters.Tensors) p.Grad = null;
            return (loss.ToDouble(), grads);
        }

        var plain = Step();
        var previous = TorchRuntime.UseSharedInputLinear;
        TorchRuntime.UseSharedInputLinear = true;
        try
        {
            var shared = Step();
            Assert.Equal(plain.Loss, shared.Loss);
            Expect.Close(plain.Grads, shared.Grads, 1e-12, "every parameter's gradient");
        }
        finally
        {
            TorchRuntime.UseSharedInputLinear = previous;
        }
    }
}
