using LongRecipe.Engine.Torch;

namespace LongRecipe.Engine.Tests.Torch;

public class ActivationCheckpointTests
{
    private static Tensor Layer(Tensor x, Tensor w) => Functional.Linear(x, w).Silu().Add(x);

    [Fact]
    public void Checkpointed_layers_give_the_same_gradients_as_plain_ones()
    {
        using var scope = DisposeScope.Enter();
        using var generator = new Generator(7);
        var x = Tensor.Randn([3, 5], generator, DType.Float64);
        var w1 = Tensor.Randn([5, 5], generator, DType.Float64).RequiringGrad();
        var w2 = Tensor.Randn([5, 5], generator, DType.Float64).RequiringGrad();

        Layer(Layer(x, w1), w2).Square().Sum().Backward();
        var (plain1, plain2) = (w1.Grad!.ToArray<double>(), w2.Grad!.ToArray<double>());
        w1.Grad = null;
        w2.Grad = null;

        var h = ActivationCheckpoint.Run(t => Layer(t, w1), x);
        var y = ActivationCheckpoint.Run(t => Layer(t, w2), h);
        y.Square().Sum().Backward();

        Assert.Equal(plain1, w1.Grad!.ToArray<double>(), new Tolerance(1e-12));
        Assert.Equal(plain2, w2.Grad!.ToArray<double>(), new Tolerance(1e-12));
    }

    [Fact]
    public void Input_gradient_flows_through_a_checkpoint()
    {
        using var scope = DisposeScope.Enter();
        var x = Tensor.FromArray([1.0, -2.0, 3.0]).RequiringGrad();
        ActivationCheckpoint.Run(t => t.Square(), x).Sum().Backward();
        Assert.Equal([2.0, -4.0, 6.0], x.Grad!.ToArray<double>());
    }

    [Fact]
    public void Forward_runs_the_function_once_and_backward_once_more()
    {
        using var scope = DisposeScope.Enter();
        var calls = 0;
        var x = Tensor.FromArray([1.0, 2.0]).RequiringGrad();
        var y = ActivationCheckpoint.Run(t => { calls++; return t * 3; }, x);
        Assert.Equal(1, calls);
        y.Sum().Backward();
        Assert.Equal(2, calls);
        Assert.Equal([3.0, 3.0], x.Grad!.ToArray<double>());
    }

    [Fact]
    public void A_failure_inside_the_function_surfaces_with_its_own_exception()
    {
        using var scope = DisposeScope.Enter();
        var x = Tensor.FromArray([1.0]).RequiringGrad();
        var e = Assert.Throws<InvalidOperationException>(() => ActivationCheckpoint.Run(_ => throw new InvalidOperationException("boom"), x));
        Assert.Equal("boom", e.Message);

        var failLater = false;
        var y = ActivationCheckpoint.Run(t => failLater ? throw new InvalidOperationException("recompute broke") : t * 2, x);
        failLater = true;
        var backward = Assert.Throws<TorchException>(() => y.Sum().Backward());
        Assert.Contains("recompute broke", backward.Message);
        Assert.Equal([2.0], (x * 2).ToArray<double>());
    }

    [Fact]
    public void Without_gradients_the_function_simply_runs()
    {
        using var scope = DisposeScope.Enter();
        using var noGrad = new NoGradScope();
        var y = ActivationCheckpoint.Run(t => t + 1, Tensor.FromArray([1f]));
        Assert.Equal([2f], y.ToArray<float>());
    }

    private sealed class Tolerance(double absolute) : IEqualityComparer<double>
    {
        public bool Equals(double a, double b) => Math.Abs(a - b) <= absolute;
        public int GetHashCode(double value) => 0;
    }
}
