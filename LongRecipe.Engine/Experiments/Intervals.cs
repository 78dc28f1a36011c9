namespace LongRecipe.Engine.Experiments;

/// <summary>A point estimate with its 95% confidence interval; Low = High = Value when the interval is undefined (one sample).</summary>
public sealed record Estimate(double Value, double Low, double High, int N)
{
    public double HalfWidth => (High - Low) / 2;

    /// <summary>True when the two intervals share a point.</summary>
    public bool Overlaps(Estimate other) => Low <= other.High && other.Low <= High;
}

/// <summary>
/// The two 95% intervals an experiment reports: Wilson's score interval for a proportion (accuracies, pooled
/// over samples and seeds), and Student's t interval for a mean over seeds (perplexities, seconds).
/// </summary>
public static class Intervals
{
    /// <summary>z for a two-sided 95% interval: Φ⁻¹(0.975).</summary>
    public const double Z95 = 1.959963984540054;

    /// <summary>
    /// Wilson score interval for <paramref name="successes"/> of <paramref name="trials"/>:
    /// (p̂ + z²/2n ± z·√(p̂(1−p̂)/n + z²/4n²)) / (1 + z²/n). Unlike p̂ ± z·√(p̂(1−p̂)/n) it stays inside
    /// [0, 1] and is not empty at p̂ = 0 or 1.
    /// </summary>
    public static Estimate Wilson(long successes, long trials)
    {
        if (trials < 1) throw new ArgumentOutOfRangeException(nameof(trials), trials, "needs at least one trial");
        if (successes < 0 || successes > trials) throw new ArgumentOutOfRangeException(nameof(successes), successes, $"must lie in [0, {trials}]");
        double n = trials, p = successes / n, z2 = Z95 * Z95;
        var denominator = 1 + z2 / n;
        var center = (p + z2 / (2 * n)) / denominator;
        var half = Z95 * Math.Sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / denominator;
        return new Estimate(p, Math.Max(0, center - half), Math.Min(1, center + half), (int)Math.Min(trials, int.MaxValue));
    }

    /// <summary>
    /// Mean ± t(0.975, n−1)·s/√n over <paramref name="values"/> (s the sample standard deviation). One value
    /// gives that value with a zero-width interval, flagged by N = 1.
    /// </summary>
    public static Estimate StudentT(IReadOnlyList<double> values)
    {
        if (values.Count == 0) throw new ArgumentException("needs at least one value", nameof(values));
        var mean = values.Average();
        if (values.Count == 1) return new Estimate(mean, mean, mean, 1);
        var variance = values.Sum(v => (v - mean) * (v - mean)) / (values.Count - 1);
        var half = StudentQuantile(0.975, values.Count - 1) * Math.Sqrt(variance / values.Count);
        return new Estimate(mean, mean - half, mean + half, values.Count);
    }

    /// <summary>
    /// The <paramref name="p"/> quantile of Student's t with <paramref name="df"/> degrees of freedom (p ≥ 0.5),
    /// by bisection on the CDF, F(t) = 1 − I_{df/(df+t²)}(df/2, 1/2) / 2.
    /// </summary>
    public static double StudentQuantile(double p, int df)
    {
        if (p is < 0.5 or >= 1) throw new ArgumentOutOfRangeException(nameof(p), p, "must lie in [0.5, 1)");
        if (df < 1) throw new ArgumentOutOfRangeException(nameof(df), df, "must be at least 1");
        double Cdf(double t) => 1 - RegularizedBeta(df / (df + t * t), df / 2.0, 0.5) / 2;
        var (low, high) = (0.0, 1.0);
        while (Cdf(high) < p) high *= 2;
        for (var i = 0; i < 200 && high - low > 1e-12 * high; i++)
        {
            var mid = (low + high) / 2;
            if (Cdf(mid) < p) low = mid; else high = mid;
        }
        return (low + high) / 2;
    }

    /// <summary>I_x(a, b), the regularized incomplete beta function, by its continued fraction (Lentz's method).</summary>
    private static double RegularizedBeta(double x, double a, double b)
    {
        if (x <= 0) return 0;
        if (x >= 1) return 1;
        // The continued fraction converges fast for x < (a+1)/(a+b+2); use the symmetry I_x(a,b) = 1 − I_{1−x}(b,a) past it.
        if (x > (a + 1) / (a + b + 2)) return 1 - RegularizedBeta(1 - x, b, a);
        var front = Math.Exp(LogGamma(a + b) - LogGamma(a) - LogGamma(b) + a * Math.Log(x) + b * Math.Log(1 - x)) / a;
        const double tiny = 1e-300;
        double f = 1, c = 1, d = 0;
        for (var i = 0; i <= 400; i++)
        {
            var m = i / 2;
            double numerator = i == 0 ? 1
                : i % 2 == 0 ? m * (b - m) * x / ((a + 2 * m - 1) * (a + 2 * m))
                : -((a + m) * (a + b + m) * x) / ((a + 2 * m) * (a + 2 * m + 1));
            d = 1 + numerator * d;
            d = Math.Abs(d) < tiny ? 1 / tiny : 1 / d;
            c = 1 + numerator / c;
            if (Math.Abs(c) < tiny) c = tiny;
            var cd = c * d;
            f *= cd;
            if (Math.Abs(1 - cd) < 1e-15) break;
        }
        return front * (f - 1);
    }

    /// <summary>ln Γ(x) for x &gt; 0 (Lanczos, g = 7, nine coefficients; about 15 significant digits).</summary>
    private static double LogGamma(double x)
    {
        if (x < 0.5) return Math.Log(Math.PI / Math.Sin(Math.PI * x)) - LogGamma(1 - x);
        ReadOnlySpan<double> g =
        [
            0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
            12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
        ];
        x -= 1;
        var sum = g[0];
        for (var i = 1; i < g.Length; i++) sum += g[i] / (x + i);
        var t = x + 7.5;
        return 0.5 * Math.Log(2 * Math.PI) + (x + 0.5) * Math.Log(t) - t + Math.Log(sum);
    }
}
