namespace LongRecipe.Engine.Tests.Support;

/// <summary>
/// Plain double-precision loops that tests compare libtorch against. They share no code with
/// the binding, so a wrong kernel, argument order or broadcast shows up as a mismatch.
/// All arrays are row-major.
/// </summary>
internal static class Reference
{
    /// <summary>[m, k] × [k, n].</summary>
    public static double[] MatMul(double[] a, double[] b, int m, int k, int n)
    {
        var c = new double[m * n];
        for (var i = 0; i < m; i++)
            for (var j = 0; j < n; j++)
            {
                double s = 0;
                for (var t = 0; t < k; t++) s += a[i * k + t] * b[t * n + j];
                c[i * n + j] = s;
            }
        return c;
    }

    /// <summary>x Wᵀ + b for x [m, in], W [out, in], b [out] (or none).</summary>
    public static double[] Linear(double[] x, double[] w, double[]? b, int m, int inFeatures, int outFeatures)
    {
        var y = new double[m * outFeatures];
        for (var i = 0; i < m; i++)
            for (var o = 0; o < outFeatures; o++)
            {
                var s = b?[o] ?? 0;
                for (var t = 0; t < inFeatures; t++) s += x[i * inFeatures + t] * w[o * inFeatures + t];
                y[i * outFeatures + o] = s;
            }
        return y;
    }

    /// <summary>log Σ exp over each row of [rows, cols], shifted by the row maximum.</summary>
    public static double[] LogSumExpRows(double[] x, int rows, int cols)
    {
        var r = new double[rows];
        for (var i = 0; i < rows; i++)
        {
            var max = double.NegativeInfinity;
            for (var j = 0; j < cols; j++) max = Math.Max(max, x[i * cols + j]);
            double s = 0;
            for (var j = 0; j < cols; j++) s += Math.Exp(x[i * cols + j] - max);
            r[i] = max + Math.Log(s);
        }
        return r;
    }

    public static double[] SoftmaxRows(double[] x, int rows, int cols)
    {
        var lse = LogSumExpRows(x, rows, cols);
        return [.. x.Select((v, i) => Math.Exp(v - lse[i / cols]))];
    }

    public static double[] LogSoftmaxRows(double[] x, int rows, int cols)
    {
        var lse = LogSumExpRows(x, rows, cols);
        return [.. x.Select((v, i) => v - lse[i / cols])];
    }

    public static double Sigmoid(double x) => 1 / (1 + Math.Exp(-x));

    /// <summary>
    /// softmax(q kᵀ · scale + bias) v per (batch·head) for q [bh, l, d], k and v [bh, s, d].
    /// <paramref name="bias"/>(query, key) is the additive mask term: 0 to attend, −∞ to block.
    /// </summary>
    public static double[] Attention(double[] q, double[] k, double[] v, int bh, int l, int s, int d, double scale,
        Func<int, int, double> bias)
    {
        var output = new double[bh * l * d];
        var weights = new double[s];
        for (var h = 0; h < bh; h++)
            for (var i = 0; i < l; i++)
            {
                var max = double.NegativeInfinity;
                for (var j = 0; j < s; j++)
                {
                    double dot = 0;
                    for (var t = 0; t < d; t++) dot += q[(h * l + i) * d + t] * k[(h * s + j) * d + t];
                    weights[j] = dot * scale + bias(i, j);
                    max = Math.Max(max, weights[j]);
                }
                double total = 0;
                for (var j = 0; j < s; j++) total += weights[j] = Math.Exp(weights[j] - max);
                for (var t = 0; t < d; t++)
                {
                    double acc = 0;
                    for (var j = 0; j < s; j++) acc += weights[j] / total * v[(h * s + j) * d + t];
                    output[(h * l + i) * d + t] = acc;
                }
            }
        return output;
    }
}
