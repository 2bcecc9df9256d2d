/*
 * Unit tables for the converter. Every unit converts through its category's base unit:
 *   base = value * factor            (linear units)
 *   base = toBase(value)             (temperature, which has offsets)
 * Factors are exact definitions where one exists (inch = 0.0254 m, pound = 0.45359237 kg,
 * US gallon = 3.785411784 L, ...).
 */
(function () {
  'use strict';

  function linear(id, name, symbol, factor) {
    return { id: id, name: name, symbol: symbol, factor: factor };
  }

  var categories = [
    {
      id: 'length',
      name: 'Length',
      defaults: ['km', 'mi'],
      units: [
        linear('mm', 'Millimetre', 'mm', 0.001),
        linear('cm', 'Centimetre', 'cm', 0.01),
        linear('m', 'Metre', 'm', 1),
        linear('km', 'Kilometre', 'km', 1000),
        linear('in', 'Inch', 'in', 0.0254),
        linear('ft', 'Foot', 'ft', 0.3048),
        linear('yd', 'Yard', 'yd', 0.9144),
        linear('mi', 'Mile', 'mi', 1609.344),
        linear('nmi', 'Nautical mile', 'nmi', 1852)
      ]
    },
    {
      id: 'mass',
      name: 'Weight',
      defaults: ['kg', 'lb'],
      units: [
        linear('mg', 'Milligram', 'mg', 1e-6),
        linear('g', 'Gram', 'g', 0.001),
        linear('kg', 'Kilogram', 'kg', 1),
        linear('t', 'Tonne', 't', 1000),
        linear('oz', 'Ounce', 'oz', 0.028349523125),
        linear('lb', 'Pound', 'lb', 0.45359237),
        linear('st', 'Stone', 'st', 6.35029318)
      ]
    },
    {
      id: 'temperature',
      name: 'Temperature',
      defaults: ['c', 'f'],
      units: [
        {
          id: 'c', name: 'Celsius', symbol: '\u00b0C',
          toBase: function (v) { return v + 273.15; },
          fromBase: function (k) { return k - 273.15; }
        },
        {
          id: 'f', name: 'Fahrenheit', symbol: '\u00b0F',
          toBase: function (v) { return (v - 32) * 5 / 9 + 273.15; },
          fromBase: function (k) { return (k - 273.15) * 9 / 5 + 32; }
        },
        {
          id: 'k', name: 'Kelvin', symbol: 'K',
          toBase: function (v) { return v; },
          fromBase: function (k) { return k; }
        }
      ]
    },
    {
      id: 'volume',
      name: 'Volume',
      defaults: ['l', 'gal'],
      units: [
        linear('ml', 'Millilitre', 'mL', 0.001),
        linear('l', 'Litre', 'L', 1),
        linear('m3', 'Cubic metre', 'm\u00b3', 1000),
        linear('tsp', 'Teaspoon (US)', 'tsp', 0.00492892159375),
        linear('tbsp', 'Tablespoon (US)', 'tbsp', 0.01478676478125),
        linear('floz', 'Fluid ounce (US)', 'fl oz', 0.0295735295625),
        linear('cup', 'Cup (US)', 'cup', 0.2365882365),
        linear('pt', 'Pint (US)', 'pt', 0.473176473),
        linear('qt', 'Quart (US)', 'qt', 0.946352946),
        linear('gal', 'Gallon (US)', 'gal', 3.785411784),
        linear('impgal', 'Gallon (imperial)', 'imp gal', 4.54609)
      ]
    },
    {
      id: 'area',
      name: 'Area',
      defaults: ['m2', 'ft2'],
      units: [
        linear('cm2', 'Square centimetre', 'cm\u00b2', 1e-4),
        linear('m2', 'Square metre', 'm\u00b2', 1),
        linear('ha', 'Hectare', 'ha', 1e4),
        linear('km2', 'Square kilometre', 'km\u00b2', 1e6),
        linear('in2', 'Square inch', 'in\u00b2', 0.00064516),
        linear('ft2', 'Square foot', 'ft\u00b2', 0.09290304),
        linear('yd2', 'Square yard', 'yd\u00b2', 0.83612736),
        linear('acre', 'Acre', 'ac', 4046.8564224),
        linear('mi2', 'Square mile', 'mi\u00b2', 2589988.110336)
      ]
    },
    {
      id: 'speed',
      name: 'Speed',
      defaults: ['kmh', 'mph'],
      units: [
        linear('ms', 'Metres per second', 'm/s', 1),
        linear('kmh', 'Kilometres per hour', 'km/h', 1 / 3.6),
        linear('mph', 'Miles per hour', 'mph', 0.44704),
        linear('kn', 'Knot', 'kn', 1852 / 3600),
        linear('fts', 'Feet per second', 'ft/s', 0.3048)
      ]
    },
    {
      id: 'time',
      name: 'Time',
      defaults: ['h', 'min'],
      units: [
        linear('ms', 'Millisecond', 'ms', 0.001),
        linear('s', 'Second', 's', 1),
        linear('min', 'Minute', 'min', 60),
        linear('h', 'Hour', 'h', 3600),
        linear('d', 'Day', 'd', 86400),
        linear('wk', 'Week', 'wk', 604800),
        linear('yr', 'Year (365.25 days)', 'yr', 31557600)
      ]
    },
    {
      id: 'data',
      name: 'Data',
      defaults: ['gb', 'gib'],
      units: [
        linear('bit', 'Bit', 'bit', 0.125),
        linear('b', 'Byte', 'B', 1),
        linear('kb', 'Kilobyte', 'kB', 1e3),
        linear('mb', 'Megabyte', 'MB', 1e6),
        linear('gb', 'Gigabyte', 'GB', 1e9),
        linear('tb', 'Terabyte', 'TB', 1e12),
        linear('kib', 'Kibibyte', 'KiB', 1024),
        linear('mib', 'Mebibyte', 'MiB', 1048576),
        linear('gib', 'Gibibyte', 'GiB', 1073741824),
        linear('tib', 'Tebibyte', 'TiB', 1099511627776)
      ]
    },
    {
      id: 'energy',
      name: 'Energy',
      defaults: ['kcal', 'kj'],
      units: [
        linear('j', 'Joule', 'J', 1),
        linear('kj', 'Kilojoule', 'kJ', 1000),
        linear('cal', 'Calorie', 'cal', 4.184),
        linear('kcal', 'Kilocalorie', 'kcal', 4184),
        linear('wh', 'Watt-hour', 'Wh', 3600),
        linear('kwh', 'Kilowatt-hour', 'kWh', 3.6e6),
        linear('btu', 'British thermal unit', 'BTU', 1055.05585262)
      ]
    },
    {
      id: 'pressure',
      name: 'Pressure',
      defaults: ['bar', 'psi'],
      units: [
        linear('pa', 'Pascal', 'Pa', 1),
        linear('kpa', 'Kilopascal', 'kPa', 1000),
        linear('bar', 'Bar', 'bar', 1e5),
        linear('atm', 'Atmosphere', 'atm', 101325),
        linear('psi', 'Pound per square inch', 'psi', 6894.757293168361),
        linear('mmhg', 'Millimetre of mercury', 'mmHg', 133.322387415)
      ]
    }
  ];

  window.ConverterUnits = Object.freeze(categories);
}());
