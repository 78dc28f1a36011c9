using LongRecipe.Engine.Tests.Support;
using LongRecipe.Engine.Training;

namespace LongRecipe.Engine.Tests.Training;

/// <summary>The schedule against values worked by hand.</summary>
public class LearningRateScheduleTests
{
    [Fact]
    public void Warmup_climbs_linearly_to_the_peak()
    {
        var schedule = new LearningRateSchedule(1e-3, WarmupSteps: 4, TotalSteps: 20);
        Expect.Close([2.5e-4, 5e-4, 7.5e-4, 1e-3], [schedule.At(1), schedule.At(2), schedule.At(3), schedule.At(4)], 1e-15, "warmup");
    }

    [Fact]
    public void Cosine_falls_from_the_peak_to_the_minimum()
    {
        // W 10, N 110: progress p = (s − 10) / 100; lr = 1e-4 + 9e-4 · ½ (1 + cos πp).
        var schedule = new LearningRateSchedule(1e-3, 10, 110, LearningRateDecay.Cosine, Minimum: 1e-4);
        Expect.Close(5e-4, schedule.At(5), 1e-15, "warmup half way");
        Expect.Close(1e-4 + 9e-4 * 0.5 * (1 + Math.Cos(Math.PI * 0.01)), schedule.At(11), 1e-15, "first step after warmup");
        Expect.Close(1e-4 + 9e-4 * 0.5 * (1 + Math.Sqrt(0.5)), schedule.At(35), 1e-15, "p = 1/4: cos = √½");
        Expect.Close(5.5e-4, schedule.At(60), 1e-15, "p = 1/2: half way between peak and minimum");
        Expect.Close(1e-4, schedule.At(110), 1e-15, "last step at the minimum");
    }

    [Fact]
    public void Linear_decay_reaches_zero_at_the_last_step()
    {
        var schedule = new LearningRateSchedule(2e-4, 2, 10, LearningRateDecay.Linear);
        Expect.Close([1e-4, 2e-4, 1.75e-4, 1e-4, 0], [schedule.At(1), schedule.At(2), schedule.At(3), schedule.At(6), schedule.At(10)], 1e-15, "linear");
    }

    [Fact]
    public void Constant_holds_the_peak_and_no_warmup_starts_at_it()
    {
        var schedule = new LearningRateSchedule(3e-4, 0, 5, LearningRateDecay.Constant);
        Assert.All(Enumerable.Range(1, 5), s => Assert.Equal(3e-4, schedule.At(s)));
        Expect.Close(1e-3 * 0.5 * (1 + Math.Cos(Math.PI / 5)), new LearningRateSchedule(1e-3, 0, 5).At(1), 1e-15, "no warmup: step 1 already decays");
    }

    [Fact]
    public void Steps_outside_the_run_are_refused()
    {
        var schedule = new LearningRateSchedule(1e-3, 1, 5);
        Assert.Throws<ArgumentOutOfRangeException>(() => schedule.At(0));
        Assert.Throws<ArgumentOutOfRangeException>(() => schedule.At(6));
    }
}
