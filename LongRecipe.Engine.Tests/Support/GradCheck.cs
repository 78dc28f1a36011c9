using LongRecipe.Engine.Torch;

namespace LongRecipe.Engine.Tests.Support;

/// <summary>
/// Compares autograd's gradients of a scalar function with central differences,
/// ∂f/∂xᵢ ≈ (f(x + ε eᵢ) − f(x − ε eᵢ)) / 2ε, element by element, in f64. With ε = 1e-6 the
/// truncation error is O(ε²) and the rounding error about 1e-16·|f|/ε ≈ 1e-10·|f|, so a
/// tolerance of 1e-6 (relative above 1, absolute below) separates right from wrong gradients.
/// </summary>
internal static class GradCheck
{
    /// <param name="label">Names the check in a failure.</param>
    /// <param name="f">Maps the inputs (fresh f64 leaves, in the given order) to a one-element tensor.</param>
    /// <param name="inputs">The points to differentiate at; they are read, never modified.</param>
    public static void Run(string label, Func<Tensor[], Tensor> f, params Tensor[] inputs)
    {
        const double eps = 1e-6, tol = 1e-6;
        var values = inputs.Select(Expect.Values).ToArray();
        var shapes = inputs.Select(t => t.Shape).ToArray();

        double[][] analytic;
        using (DisposeScope.Enter())
        {
            var leaves = Leaves(values, shapes);
            foreach (var leaf in leaves) leaf.RequiresGrad = true;
            var y = f(leaves);
            Assert.Equal(1, y.NumElements);
            y.Backward();
            // An input the function does not use gets no gradient: its derivative is zero.
            analytic = [.. leaves.Select((leaf, i) => leaf.Grad is { } g ? Expect.Values(g) : new double[values[i].Length])];
        }

        for (var i = 0; i < values.Length; i++)
        {
            var numeric = new double[values[i].Length];
            for (var j = 0; j < numeric.Length; j++)
            {
                var x = values[i][j];
                values[i][j] = x + eps;
                var plus = Evaluate(f, values, shapes);
                values[i][j] = x - eps;
                var minus = Evaluate(f, values, shapes);
                values[i][j] = x;
                numeric[j] = (plus - minus) / (2 * eps);
            }
            Expect.Close(numeric, analytic[i], tol, $"{label}: d/d(input {i})");
        }
    }

    private static double Evaluate(Func<Tensor[], Tensor> f, double[][] values, long[][] shapes)
    {
        using var noGrad = new NoGradScope();
        using var scope = DisposeScope.Enter();
        return f(Leaves(values, shapes)).ToDouble();
    }

    private static Tensor[] Leaves(double[][] values, long[][] shapes) =>
        [.. values.Select((v, i) => Tensor.FromArray(v, shapes[i]))];
}
