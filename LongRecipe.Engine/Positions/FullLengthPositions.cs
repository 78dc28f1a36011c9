namespace LongRecipe.Engine.Positions;

/// <summary>Full-length training (FLT): the sequence is as long as the window, token i gets position i.</summary>
public static class FullLengthPositions
{
    public static int[] Transform(int length)
    {
        var positions = new int[length];
        for (var i = 0; i < length; i++) positions[i] = i;
        return positions;
    }
}
