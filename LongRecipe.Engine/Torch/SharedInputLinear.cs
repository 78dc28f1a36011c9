namespace LongRecipe.Engine.Torch;

/// <summary>
/// Linear maps of one input, yᵢ = x Wᵢᵀ + bᵢ (a layer's query, key and value projections; its gate and up projections),
/// whose backward sums the input's gradient inside the matrix products, ∂x = ∂y₀ W₀, then ∂x += ∂yᵢ Wᵢ in place, where
/// autograd writes each product and adds it to the sum in a kernel of its own: for a [16k, 2048] bf16 input that add
/// reads and writes three times the input's bytes. The forward is the maps as <see cref="Functional.Linear"/> gives them.
/// </summary>
internal sealed class SharedInputLinear(Tensor x, Tensor[] weights, Tensor?[] biases) : AutogradFunction(outputs: weights.Length)
{
    private Tensor? savedX;
    private Tensor[] savedWeights = [];
    // Read in forward: by backward the input's handle may be gone with the scope that made it.
    private bool inputNeedsGrad;
    private bool[] weightsNeedGrad = [];

    protected override Tensor[] Forward()
    {
        savedX = Save(x);
        savedWeights = [.. weights.Select(Save)];
        (inputNeedsGrad, weightsNeedGrad) = (x.RequiresGrad, [.. weights.Select(w => w.RequiresGrad)]);
        return [.. weights.Select((w, i) => Functional.Linear(x, w, biases[i]))];
    }

    // Inputs in Functional.Linears' order: x, each weight, each bias given.
    protected override Tensor?[] Backward(Tensor[] gradOutputs)
    {
        var features = savedX!.Size(-1);
        var rows = savedX.Reshape(-1, features);
        var grads = gradOutputs.Select(g => g.Reshape(-1, g.Size(-1))).ToArray();
        Tensor? gradX = null;
        if (inputNeedsGrad)
        {
            gradX = Functional.MatMul(grads[0], savedWeights[0]);
            for (var i = 1; i < grads.Length; i++) gradX.AddMatMulInPlace(grads[i], savedWeights[i]);
        }
        var gradWeights = grads.Select((g, i) => weightsNeedGrad[i] ? Functional.MatMul(g.Transpose(0, 1), rows) : null);
        var gradBiases = grads.Where((_, i) => biases[i] is not null).Select((g, i) => (Tensor?)g.Sum(0));
        return [gradX?.Reshape(savedX.Shape), .. gradWeights, .. gradBiases];
    }
}
