using LongRecipe.Engine.Torch;

namespace LongRecipe.Engine.Tests.Torch;

public class AutogradFunctionTests
{
    /// <summary>y = a³ · b with the gradient written out: ∂y/∂a = 3a²b, ∂y/∂b = a³; b's gradient optional.</summary>
    private sealed class CubeTimes(Tensor a, Tensor b, bool gradientForB = true) : AutogradFunction
    {
        public Tensor? SavedA { get; private set; }
        public int BackwardCalls { get; private set; }

        protected override Tensor[] Forward()
        {
            SavedA = Save(a);
            return [a.Pow(3) * b];
        }

        protected override Tensor?[] Backward(Tensor[] gradOutputs)
        {
            BackwardCalls++;
            var gradOutput = gradOutputs[0];
            return [gradOutput * SavedA!.Square() * 3 * b, gradientForB ? gradOutput * SavedA!.Pow(3) : null];
        }
    }

    /// <summary>(a + b, a · b): two outputs, ∂/∂a = g₀ + g₁·b, ∂/∂b = g₀ + g₁·a.</summary>
    private sealed class SumAndProduct(Tensor a, Tensor b) : AutogradFunction(outputs: 2)
    {
        public Tensor[]? GradOutputs { get; private set; }

        protected override Tensor[] Forward() => [a + b, a * b];

        protected override Tensor?[] Backward(Tensor[] gradOutputs)
        {
            GradOutputs = [.. gradOutputs.Select(g => Save(g))];
            return [gradOutputs[0] + gradOutputs[1] * b, gradOutputs[0] + gradOutputs[1] * a];
        }
    }

    private sealed class Failing(Tensor x, bool inForward, int gradients = 1) : AutogradFunction
    {
        protected override Tensor[] Forward() => inForward ? throw new InvalidOperationException("forward broke") : [x * 2];

        protected override Tensor?[] Backward(Tensor[] gradOutputs) =>
            gradients == 1 ? throw new ArgumentException("backward broke") : new Tensor?[gradients];
    }

    /// <summary>Declares more outputs than its forward gives.</summary>
    private sealed class SameGradientTwice(Tensor a, Tensor b) : AutogradFunction
    {
        protected override Tensor[] Forward() => [a + b];

        protected override Tensor?[] Backward(Tensor[] gradOutputs)
        {
            var grad = gradOutputs[0] * 1;
            return [grad, grad];
        }
    }

    private sealed class Miscounted(Tensor x) : AutogradFunction(outputs: 2)
    {
        protected override Tensor[] Forward() => [x * 2];

        protected override Tensor?[] Backward(Tensor[] gradOutputs) => [gradOutputs[0]];
    }

    [Fact]
    public void The_gradient_backward_gives_reaches_each_input_through_later_ops()
    {
        using var scope = DisposeScope.Enter();
        var a = Tensor.FromArray([1.0, -2, 0.5]).RequiringGrad();
        var b = Tensor.FromArray([3.0, 1, -4]).RequiringGrad();
        var y = new CubeTimes(a, b).Apply(a, b)[0];
        // Forward's value, then L = Σ 2y: ∂L/∂a = 6a²b = [18, 24, -6], ∂L/∂b = 2a³ = [2, -16, 0.25].
        Assert.Equal([3.0, -8, -0.5], y.ToArray<double>());
        (y * 2).Sum().Backward();
        Assert.Equal([18.0, 24, -6], a.Grad!.ToArray<double>());
        Assert.Equal([2.0, -16, 0.25], b.Grad!.ToArray<double>());
    }

    [Fact]
    public void Each_output_brings_its_own_gradient_and_an_unused_one_brings_zeros()
    {
        using var scope = DisposeScope.Enter();
        var a = Tensor.FromArray([1.0, -2]).RequiringGrad();
        var b = Tensor.FromArray([3.0, 0.5]).RequiringGrad();
        var both = new SumAndProduct(a, b);
        var outputs = both.Apply(a, b);
        Assert.Equal([4.0, -1.5], outputs[0].ToArray<double>());
        Assert.Equal([3.0, -1], outputs[1].ToArray<double>());
        // L = Σ 2(a + b) + Σ 3ab: ∂L/∂a = 2 + 3b = [11, 3.5], ∂L/∂b = 2 + 3a = [5, -4].
        ((outputs[0] * 2).Sum() + (outputs[1] * 3).Sum()).Backward();
        Assert.Equal([11.0, 3.5], a.Grad!.ToArray<double>());
        Assert.Equal([5.0, -4], b.Grad!.ToArray<double>());

        // Only the product used: the sum's gradient arrives as zeros, as torch.autograd.Function materialises it.
        var c = Tensor.FromArray([2.0]).RequiringGrad();
        var d = Tensor.FromArray([5.0]).RequiringGrad();
        var productOnly = new SumAndProduct(c, d);
        productOnly.Apply(c, d)[1].Sum().Backward();
        Assert.Equal([0.0], productOnly.GradOutputs![0].ToArray<double>());
        Assert.Equal([5.0], c.Grad!.ToArray<double>());
        Assert.Equal([2.0], d.Grad!.ToArray<double>());
    }

    [Fact]
    public void An_input_backward_gives_no_gradient_gets_none()
    {
        using var scope = DisposeScope.Enter();
        var a = Tensor.FromArray([2.0]).RequiringGrad();
        var b = Tensor.FromArray([5.0]).RequiringGrad();
        new CubeTimes(a, b, gradientForB: false).Apply(a, b)[0].Sum().Backward();
        Assert.Equal([60.0], a.Grad!.ToArray<double>());
        Assert.Null(b.Grad);
    }

    [Fact]
    public void Saved_tensors_outlive_the_scope_that_made_them_and_go_with_the_graph()
    {
        using var scope = DisposeScope.Enter();
        var a = Tensor.FromArray([2.0]).RequiringGrad();
        var b = Tensor.FromArray([1.0]);
        var function = new CubeTimes(a, b);
        Tensor loss;
        using (var inner = DisposeScope.Enter())
        {
            // The input's own handle goes with this scope; the function's saved one stays.
            var copy = (a * 1).Detach().RequiringGrad();
            loss = inner.MoveToOuter(function.Apply(copy, b)[0].Sum());
        }
        Assert.False(function.SavedA!.IsDisposed);
        loss.Backward();
        Assert.Equal(1, function.BackwardCalls);
        // Dropping the output drops the graph's last reference to the function, which frees what it saved.
        loss.Dispose();
        Assert.True(function.SavedA.IsDisposed, "the saved tensor is freed with the graph");
    }

    [Fact]
    public void Without_gradients_forward_runs_alone_and_frees_what_it_saved()
    {
        using var scope = DisposeScope.Enter();
        var a = Tensor.FromArray([2.0]).RequiringGrad();
        var b = Tensor.FromArray([1.0]);
        CubeTimes function;
        Tensor y;
        using (new NoGradScope())
        {
            function = new CubeTimes(a, b);
            y = function.Apply(a, b)[0];
        }
        Assert.Equal([8.0], y.ToArray<double>());
        Assert.False(y.RequiresGrad);
        Assert.True(function.SavedA!.IsDisposed);
    }

    [Fact]
    public void Failures_surface_where_they_happen_and_name_the_pass()
    {
        using var scope = DisposeScope.Enter();
        var x = Tensor.FromArray([1.0]).RequiringGrad();
        // In forward: the exception itself, as from any other call.
        var forward = Assert.Throws<InvalidOperationException>(() => new Failing(x, inForward: true).Apply(x));
        Assert.Equal("forward broke", forward.Message);
        // In backward (libtorch's call): a TorchException with the message.
        var backward = Assert.Throws<TorchException>(() => new Failing(x, inForward: false).Apply(x)[0].Sum().Backward());
        Assert.Contains("backward failed: backward broke", backward.Message);
        var count = Assert.Throws<TorchException>(() => new Failing(x, inForward: false, gradients: 2).Apply(x)[0].Sum().Backward());
        Assert.Contains("backward gave 2 gradients for 1 inputs", count.Message);
        // One Tensor object as two inputs' gradient (ResidualNormKernel did this once): named, not a disposed handle later.
        var twice = Assert.Throws<TorchException>(() => new SameGradientTwice(x, x * 3).Apply(x, x * 3)[0].Sum().Backward());
        Assert.Contains("backward gave one Tensor object as the gradient of inputs 0 and 1", twice.Message);
        // Forward gives as many outputs as the function declares, with gradients recorded or not.
        Assert.Contains("forward gave 1 outputs where the function declares 2",
            Assert.Throws<InvalidOperationException>(() => new Miscounted(x).Apply(x)).Message);
        using (new NoGradScope())
            Assert.Throws<InvalidOperationException>(() => new Miscounted(x).Apply(x));
        // A function is applied once.
        var once = new CubeTimes(x, x);
        once.Apply(x, x);
        Assert.Throws<InvalidOperationException>(() => once.Apply(x, x));
    }
}
